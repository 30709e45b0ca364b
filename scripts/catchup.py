#!/usr/bin/env python3
"""The catch-up figure of docs/reliability.md: a client far behind resumes with `since` and
reads its backlog at a normal pace, with the default 1 MiB outbound queue, while live posts keep
coming; it must reach them in order, without a 4010.

    swift build -c release --product gatewayd
    python3 scripts/catchup.py [--binary .build/release/gatewayd] [--events 3000] [--body-bytes 3600]

Prints the backlog's size, the time from `sub` to the last live event, and the reader's pace.
"""
import argparse, asyncio, json, os, pathlib, shutil, signal, socket, subprocess, sys, tempfile, time

import websockets

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from gwtools import token  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
SECRET = "catchup-secret-catchup-secret-catchup"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def connect(port, user):
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/v1/ws", max_size=None, compression=None)
    json.loads(await ws.recv())  # hello
    await ws.send(json.dumps({"op": "identify", "token": token(SECRET, user)}))
    ready = json.loads(await ws.recv())
    assert ready["op"] == "ready", ready
    return ws


async def write_posts(ws, count, body, prefix):
    for index in range(count):
        await ws.send(json.dumps({"op": "post", "id": index, "body": f"{prefix} {index} {body}", "client_id": f"{prefix}-{index}"}))
    acks = 0
    while acks < count:
        message = json.loads(await ws.recv())
        if message["op"] == "ack":
            acks += 1
        elif message["op"] == "error":
            raise RuntimeError(message)


async def run(port, events, body_bytes, live, delay_ms):
    writer = await connect(port, "u_writer")
    await writer.send(json.dumps({"op": "sub", "id": "s", "stream": "feed"}))
    subscribed = json.loads(await writer.recv())
    epoch = subscribed["epoch"]
    await writer.send(json.dumps({"op": "unsub", "id": "u", "stream": "feed"}))
    json.loads(await writer.recv())
    body = "x" * body_bytes
    await write_posts(writer, events, body, "history")

    reader = await connect(port, "u_behind")
    started = time.monotonic()
    await reader.send(json.dumps({"op": "sub", "id": 1, "stream": "feed", "since": {"offset": 0, "epoch": epoch}}))
    expected, received_bytes, live_started = 1, 0, None
    total = events + live
    while expected <= total:
        try:
            raw = await asyncio.wait_for(reader.recv(), timeout=30)
        except websockets.ConnectionClosed as closed:
            return {"closed": closed.rcvd.code if closed.rcvd else None, "reached": expected - 1}
        message = json.loads(raw)
        if message["op"] != "event":
            continue
        if message["offset"] != expected:
            return {"gap": (expected, message["offset"])}
        received_bytes += len(raw)
        expected += 1
        if expected == events // 2 and live_started is None:
            # Live posts arrive while the replay is half done; they must follow it, in order.
            live_started = asyncio.create_task(write_posts(writer, live, "live", "live"))
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
    elapsed = time.monotonic() - started
    await live_started
    await reader.close()
    await writer.close()
    return {"events": total, "bytes": received_bytes, "seconds": elapsed}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=str(ROOT / ".build/release/gatewayd"))
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--body-bytes", type=int, default=3600)
    parser.add_argument("--live", type=int, default=20)
    parser.add_argument("--delay-ms", type=float, default=0.0, help="pause after each event, for a slower reader")
    arguments = parser.parse_args()
    data = tempfile.mkdtemp(prefix="catchup-")
    port = free_port()
    env = dict(os.environ, GATEWAYD_JWT_SECRET=SECRET, GATEWAYD_WRITES_POSTS_PER_MINUTE="100000",
               GATEWAYD_SESSIONS_INBOUND_PER_SECOND="100000", GATEWAYD_SESSIONS_INBOUND_BURST="100000")
    process = subprocess.Popen([arguments.binary, "serve", "--port", str(port), "--data", data, "--personas", data + "/none"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        result = asyncio.run(run(port, arguments.events, arguments.body_bytes, arguments.live, arguments.delay_ms))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        shutil.rmtree(data, ignore_errors=True)
    if "seconds" not in result:
        print(f"FAILED: {result}")
        sys.exit(1)
    megabytes = result["bytes"] / 1e6
    print(f"backlog {arguments.events} events + {arguments.live} live, {megabytes:.1f} MB received, outbound queue 1 MiB (default)")
    print(f"resumed to live in {result['seconds']:.2f} s ({result['events'] / result['seconds']:.0f} events/s, "
          f"{megabytes / result['seconds']:.1f} MB/s); no 4010, no gap, no duplicate")


if __name__ == "__main__":
    main()
