#!/usr/bin/env python3
"""A soak of a release gatewayd (issue 9): for --minutes, connections churn (open, identify,
subscribe since their last offset, read a while, close), writers post and comment, bots answer
(the shipped personas), and slow readers stop reading until the gateway closes them (4010).
Every 30 s it samples the server's RSS and open file descriptors; at the end it prints a table
and a JSON line, and says whether memory and descriptors came back flat once the load stopped.

    swift build -c release --product gatewayd
    python3 scripts/soak.py --binary .build/release/gatewayd --minutes 30
"""
import argparse, asyncio, json, os, random, signal, subprocess, sys, tempfile, time, urllib.request

import websockets

sys.path.insert(0, os.path.dirname(__file__))
from gwtools import rss_kib, token  # noqa: E402

SECRET = "soak-secret-soak-secret-soak-secret"


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def sockets(pid):
    """Open sockets: connections and listeners. Other descriptors (the database's reader pool,
    its WAL) grow to their working size once and stay."""
    count = 0
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            count += os.readlink(f"/proc/{pid}/fd/{name}").startswith("socket:")
        except OSError:
            pass
    return count


class Soak:
    def __init__(self, port, deadline):
        self.url = f"ws://127.0.0.1:{port}/v1/ws"
        self.http = f"http://127.0.0.1:{port}"
        self.deadline = deadline
        self.counts = {"sessions": 0, "events": 0, "writes": 0, "write_errors": 0, "slow_closed_4010": 0, "closes": {}, "resumed": 0, "gaps": 0}
        self.post_ids = []

    def running(self):
        return time.time() < self.deadline

    async def session(self, user, seconds, last_offset):
        """One connection's life: identify, subscribe since where the user left off, read."""
        async with websockets.connect(self.url, max_size=2**22, compression=None) as ws:
            json.loads(await ws.recv())  # hello
            await ws.send(json.dumps({"op": "identify", "token": token(SECRET, user)}))
            ready = json.loads(await ws.recv())
            assert ready["op"] == "ready", ready
            sub = {"op": "sub", "id": 1, "stream": "feed"}
            if last_offset.get("epoch"):
                sub["since"] = {"offset": last_offset["offset"], "epoch": last_offset["epoch"]}
            await ws.send(json.dumps(sub))
            end = time.time() + seconds
            self.counts["sessions"] += 1
            while time.time() < end and self.running():
                try:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=1))
                except asyncio.TimeoutError:
                    await ws.send(json.dumps({"op": "ping", "t": int(time.time())}))
                    continue
                if frame["op"] == "subscribed":
                    last_offset["epoch"] = frame["epoch"]
                    if frame.get("recovered"):
                        self.counts["resumed"] += 1
                    else:
                        last_offset["offset"] = frame["offset"]
                elif frame["op"] == "event":
                    if frame["offset"] != last_offset.get("offset", 0) + 1:
                        self.counts["gaps"] += 1
                    last_offset["offset"] = frame["offset"]
                    self.counts["events"] += 1

    async def churner(self, index):
        position = {}
        while self.running():
            try:
                await self.session(f"u_churn{index}", random.uniform(1, 8), position)
            except Exception as error:  # a close or a refusal; count it and go on
                key = type(error).__name__
                self.counts["closes"][key] = self.counts["closes"].get(key, 0) + 1
            await asyncio.sleep(random.uniform(0, 0.5))

    async def writer(self, index):
        while self.running():
            try:
                async with websockets.connect(self.url, compression=None) as ws:
                    json.loads(await ws.recv())
                    await ws.send(json.dumps({"op": "identify", "token": token(SECRET, f"u_writer{index}")}))
                    json.loads(await ws.recv())
                    number = 0
                    while self.running():
                        number += 1
                        if self.post_ids and random.random() < 0.6:
                            op = {"op": "comment", "post_id": random.choice(self.post_ids[-20:]), "body": f"comment {index}-{number} 你好"}
                        else:
                            op = {"op": "post", "body": f"soak post {index}-{number}: what do you think?", "bots": "on" if random.random() < 0.3 else "off"}
                        op.update(id=number, client_id=f"soak-{index}-{number}-{time.time()}")
                        await ws.send(json.dumps(op))
                        while True:
                            answer = json.loads(await ws.recv())
                            if answer.get("id") == number:
                                break
                        if answer["op"] == "ack":
                            self.counts["writes"] += 1
                            if "post" in answer["result"]:
                                self.post_ids.append(answer["result"]["post"]["id"])
                                del self.post_ids[:-200]
                        else:
                            self.counts["write_errors"] += 1
                            await asyncio.sleep(answer.get("retry_after_ms", 500) / 1000)
                        await asyncio.sleep(random.uniform(0.05, 0.3))
            except Exception:
                await asyncio.sleep(0.5)

    async def slow_reader(self, index):
        """Subscribes and stops reading; the gateway must close it (4010) rather than buffer forever."""
        while self.running():
            try:
                async with websockets.connect(self.url, compression=None, max_queue=1, read_limit=2**12) as ws:
                    json.loads(await ws.recv())
                    await ws.send(json.dumps({"op": "identify", "token": token(SECRET, f"u_slow{index}")}))
                    await ws.recv()
                    await ws.send(json.dumps({"op": "sub", "id": 1, "stream": "feed"}))
                    # Stop reading: the websockets library stops reading the socket once its queue is full.
                    await asyncio.sleep(min(60, max(0, self.deadline - time.time())))
                    try:
                        while True:
                            await asyncio.wait_for(ws.recv(), timeout=0.5)
                    except websockets.ConnectionClosed as closed:
                        if closed.rcvd and closed.rcvd.code == 4010:
                            self.counts["slow_closed_4010"] += 1
                    except asyncio.TimeoutError:
                        pass
            except Exception:
                await asyncio.sleep(1)


async def run(arguments):
    directory = tempfile.mkdtemp(prefix="gatewayd-soak-")
    env = dict(os.environ, GATEWAYD_JWT_SECRET=SECRET, GATEWAYD_WRITES_POSTS_PER_MINUTE="100000",
               GATEWAYD_WRITES_COMMENTS_PER_MINUTE="100000", GATEWAYD_SESSIONS_OUTBOUND_QUEUE_BYTES="65536")
    port = arguments.port
    server = subprocess.Popen([arguments.binary, "serve", "--port", str(port), "--data", directory + "/data", "--personas", arguments.personas,
                               "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL, stderr=open(directory + "/gatewayd.log", "w"))
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1)
                break
            except OSError:
                await asyncio.sleep(0.1)
        started = time.time()
        soak = Soak(port, started + arguments.minutes * 60)
        samples = [(0, rss_kib(server.pid), fds(server.pid))]
        sockets_start = sockets(server.pid)

        async def sampler():
            while soak.running():
                await asyncio.sleep(30)
                samples.append((round(time.time() - started), rss_kib(server.pid), fds(server.pid)))
                print(f"{samples[-1][0]:>6} s  rss {samples[-1][1] / 1024:7.1f} MiB  fds {samples[-1][2]:5}  "
                      f"sessions {soak.counts['sessions']}  writes {soak.counts['writes']}  events {soak.counts['events']}", flush=True)

        tasks = [soak.churner(i) for i in range(arguments.churners)] + [soak.writer(i) for i in range(arguments.writers)] + \
                [soak.slow_reader(i) for i in range(arguments.slow)] + [sampler()]
        await asyncio.gather(*tasks)
        # The load is gone: give the server a moment to close what is closing, then measure.
        await asyncio.sleep(10)
        after = (round(time.time() - started), rss_kib(server.pid), fds(server.pid))
        sockets_after = sockets(server.pid)
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
        connections = next((line.split()[1] for line in metrics.splitlines() if line.startswith("gatewayd_connections ")), "?")
        warm = samples[min(2, len(samples) - 1)]
        report = {
            "minutes": arguments.minutes, "churners": arguments.churners, "writers": arguments.writers, "slow_readers": arguments.slow,
            **{k: v for k, v in soak.counts.items()}, "rss_kib_start": samples[0][1], "rss_kib_warm": warm[1],
            "rss_kib_peak": max(s[1] for s in samples), "rss_kib_after": after[1], "fds_start": samples[0][2],
            "fds_warm": warm[2], "fds_peak": max(s[2] for s in samples), "fds_after": after[2], "sockets_start": sockets_start,
            "sockets_after": sockets_after, "connections_after": connections,
        }
        print(json.dumps(report))
        # Flat: every connection's socket is gone, no descriptor beyond the warmed-up set, and memory
        # no more than half again what it was once warm (allocator caches keep some).
        flat = sockets_after <= sockets_start and after[2] <= max(warm[2], samples[0][2] + 16) and after[1] <= warm[1] * 1.5
        print("memory and descriptors flat after the load:", "yes" if flat else "NO")
        return 0 if flat and soak.counts["gaps"] == 0 else 1
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/gatewayd")
    parser.add_argument("--personas", default="personas")
    parser.add_argument("--port", type=int, default=18777)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--churners", type=int, default=60)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--slow", type=int, default=3)
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
