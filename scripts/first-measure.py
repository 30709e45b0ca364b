#!/usr/bin/env python3
"""First measurements of a running gatewayd: idle connections and fan-out.

A stopgap until the dedicated load tool (Tools/gwload); needs `pip install websockets`.
It mints its own tokens, so the gateway must run with GATEWAYD_JWT_SECRET set to --secret.

  GATEWAYD_JWT_SECRET=measure-secret-of-at-least-32-bytes .build/release/gatewayd serve --port 8080 --data /tmp/gw &
  python3 scripts/first-measure.py --pid $! --secret measure-secret-of-at-least-32-bytes idle --connections 10000
  python3 scripts/first-measure.py --pid $! --secret measure-secret-of-at-least-32-bytes fanout --subscribers 1000 --posts 500

Every loop is bounded in count and time; all traffic goes to the loopback address.
"""
import argparse, asyncio, json, time

import websockets

from gwtools import cpu_seconds, rss_kib, token


async def open_session(url, secret, user, stream="feed", positions=None):
    # WebSocket pings keep the session alive past 2 × heartbeat_ms (they count as liveness).
    ws = await websockets.connect(url, max_size=None, compression=None, ping_interval=20)
    await ws.recv()  # hello
    await ws.send(json.dumps({"op": "identify", "token": token(secret, user)}))
    await ws.recv()  # ready
    await ws.send(json.dumps({"op": "sub", "id": 1, "stream": stream}))
    subscribed = json.loads(await ws.recv())
    if positions is not None:
        positions.append(subscribed["offset"])
    return ws


async def idle(args):
    url = f"ws://127.0.0.1:{args.port}/v1/ws"
    before = rss_kib(args.pid)
    sockets = []
    started = time.monotonic()
    for batch in range(0, args.connections, 200):
        count = min(200, args.connections - batch)
        sockets += await asyncio.gather(*(open_session(url, args.secret, f"u_idle{batch + i}") for i in range(count)))
        if time.monotonic() - started > args.timeout:
            break
    ramp = time.monotonic() - started
    await asyncio.sleep(3)
    after = rss_kib(args.pid)
    held = len(sockets)
    print(json.dumps({
        "scenario": "idle", "connections": held, "ramp_s": round(ramp, 1),
        "rss_before_kib": before, "rss_after_kib": after,
        "kib_per_connection": round((after - before) / max(held, 1), 2),
    }))
    await asyncio.gather(*(ws.close() for ws in sockets))


async def fanout(args):
    url = f"ws://127.0.0.1:{args.port}/v1/ws"
    subscribers = []
    positions = []
    for batch in range(0, args.subscribers, 200):
        count = min(200, args.subscribers - batch)
        subscribers += await asyncio.gather(*(open_session(url, args.secret, f"u_sub{batch + i}", positions=positions) for i in range(count)))
    # The gateway allows 10 posts a minute per user, so the posts come from several writers.
    writers = [await open_session(url, args.secret, f"u_writer{w}-{int(time.time())}", stream="feed") for w in range((args.posts + 9) // 10)]
    latencies = []
    received = [0]
    problems = {"gaps": 0}

    async def reader(ws):
        last = None
        deadline = time.monotonic() + args.timeout
        while received[0] < args.posts * len(subscribers) and time.monotonic() < deadline:
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.monotonic())))
            except asyncio.TimeoutError:
                return
            if message.get("op") != "event":
                continue
            offset = message["offset"]
            if last is not None and offset != last + 1:
                problems["gaps"] += 1
            last = offset
            received[0] += 1
            sent = float(message["data"]["body"].split()[1])
            latencies.append(time.time() - sent)
            if offset >= start_offset + args.posts:
                return

    start_offset = max(positions)
    cpu_before = cpu_seconds(args.pid)
    started = time.monotonic()
    readers = [asyncio.create_task(reader(ws)) for ws in subscribers]

    async def write():
        for index in range(args.posts):
            await writers[index // 10].send(json.dumps({"op": "post", "id": index, "body": f"at {time.time():.6f}", "client_id": f"m{started}-{index}"}))
            if args.rate:
                await asyncio.sleep(1 / args.rate)
    await write()
    await asyncio.gather(*readers)
    elapsed = time.monotonic() - started
    cpu = cpu_seconds(args.pid) - cpu_before
    latencies.sort()
    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2) if latencies else None
    print(json.dumps({
        "scenario": "fanout", "subscribers": len(subscribers), "posts": args.posts,
        "delivered": received[0], "expected": args.posts * len(subscribers), "gaps": problems["gaps"],
        "seconds": round(elapsed, 2), "delivered_per_s": round(received[0] / elapsed),
        "server_cpu_us_per_delivery": round(cpu * 1e6 / max(received[0], 1), 2),
        "latency_ms_p50": pct(0.5), "latency_ms_p99": pct(0.99), "latency_ms_max": pct(1.0) if latencies else None,
        "server_rss_kib": rss_kib(args.pid),
    }))
    await asyncio.gather(*(ws.close() for ws in subscribers + writers))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--pid", type=int, required=True, help="the gateway's process id, for RSS and CPU")
    parser.add_argument("--secret", required=True, help="the gateway's GATEWAYD_JWT_SECRET")
    parser.add_argument("--timeout", type=float, default=120, help="seconds any phase may take")
    sub = parser.add_subparsers(dest="scenario", required=True)
    idle_parser = sub.add_parser("idle")
    idle_parser.add_argument("--connections", type=int, default=10000)
    fan = sub.add_parser("fanout")
    fan.add_argument("--subscribers", type=int, default=1000)
    fan.add_argument("--posts", type=int, default=500)
    fan.add_argument("--rate", type=float, default=0, help="posts per second; 0 for as fast as acks allow")
    args = parser.parse_args()
    asyncio.run(idle(args) if args.scenario == "idle" else fanout(args))


if __name__ == "__main__":
    main()
