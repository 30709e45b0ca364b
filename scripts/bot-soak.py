#!/usr/bin/env python3
"""Bot soak: 1,000 posts in a minute with the shipped personas on, then quiet; checks from the
store that every limit held, and reports memory and the bot overhead figures.

  GATEWAYD_JWT_SECRET=measure-secret-of-at-least-32-bytes .build/release/gatewayd serve --port 18091 --data /tmp/soak --personas personas &
  python3 scripts/bot-soak.py --port 18091 --pid $! --secret measure-secret-of-at-least-32-bytes --data /tmp/soak

Needs `pip install websockets`. Loopback only; every loop is bounded in count and time.
"""
import argparse, asyncio, json, sqlite3, time, urllib.request

import websockets

from gwtools import rss_kib, token

# Effective limits of the shipped personas after personas/policy.yaml. Limits are taken when a
# reply is decided; the comment is committed after the persona's random delay, so commit times
# may bunch by up to the spread of its delays ("jitter").
LIMITS = {
    "kiki": {"rate": (30, 60.0, 30), "per_thread": 2, "cooldown": 60.0, "per_user": (5, 60.0, 5), "jitter": 7.0},
    "robo": {"rate": (10, 60.0, 10), "per_thread": 1, "cooldown": 120.0, "per_user": (3, 60.0, 3), "jitter": 18.0},
    "factcheck": {"rate": (20, 60.0, 20), "per_thread": 3, "cooldown": 30.0, "per_user": (4, 60.0, 4), "jitter": 1.0},
}


def post_body(index):
    if index % 10 == 3:
        return f"@factcheck is it true goldfish only remember 3 seconds? ({index})"
    if index % 10 == 7:
        return f"robo, what do you make of post {index}?"
    if index % 20 == 11:
        return f"Who will win the election? ({index})"
    if index % 2 == 0:
        return f"今天终于把第{index}个任务做完了，周末去社区花园走走"
    return f"Baked sourdough loaf number {index} today"


async def writer(url, secret, user, indices, spacing, acked):
    async with websockets.connect(url, ping_interval=20) as ws:
        await ws.recv()
        await ws.send(json.dumps({"op": "identify", "token": token(secret, user)}))
        await ws.recv()
        for index in indices:
            await ws.send(json.dumps({"op": "post", "id": index, "body": post_body(index), "client_id": f"soak-{index}"}))
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
                if message.get("id") == index:
                    if message["op"] == "ack":
                        acked.append(index)
                    break
            await asyncio.sleep(spacing)


def gcra_violations(times, count, period, burst, jitter):
    """Pairs i <= j whose count exceeds what the rate and burst allow in between."""
    interval = period / count
    bad = 0
    for i in range(len(times)):
        for j in range(i, len(times)):
            if (j - i + 1) > burst + (times[j] - times[i] + jitter) / interval + 1e-3:
                bad += 1
    return bad


async def main(args):
    url = f"ws://127.0.0.1:{args.port}/v1/ws"
    samples = [("start", rss_kib(args.pid))]
    users = [f"u_soak{n}" for n in range(100)]
    acked = []
    started = time.time()
    if args.check_only:
        return report_from_store(args, [], 0, samples)
    # 100 users, 10 posts each, one every 6 s: 1,000 posts in a minute.
    await asyncio.gather(*(writer(url, args.secret, user, range(n * 10, n * 10 + 10), 6.0, acked) for n, user in enumerate(users)))
    flood_seconds = time.time() - started
    samples.append(("after flood", rss_kib(args.pid)))
    for step in range(args.quiet // 10):
        await asyncio.sleep(10)
        samples.append((f"quiet +{(step + 1) * 10}s", rss_kib(args.pid)))

    report_from_store(args, acked, flood_seconds, samples)


def report_from_store(args, acked, flood_seconds, samples):
    db = sqlite3.connect(f"file:{args.data}/gatewayd.sqlite?mode=ro", uri=True)
    report = {"posts_acked": len(acked), "flood_seconds": round(flood_seconds, 1), "rss_kib": samples, "personas": {}}
    for persona, limits in LIMITS.items():
        rows = db.execute("""
            SELECT c.created_at / 1000.0, c.post_id, COALESCE(parent.author_id, post.author_id)
            FROM comments c JOIN posts post ON post.id = c.post_id LEFT JOIN comments parent ON parent.id = c.parent_id
            WHERE c.generated_persona = ? ORDER BY c.created_at""", (persona,)).fetchall()
        times = [row[0] for row in rows]
        per_thread, per_user = {}, {}
        for at, thread, user in rows:
            per_thread.setdefault(thread, []).append(at)
            per_user.setdefault(user, []).append(at)
        count, period, burst = limits["rate"]
        ucount, uperiod, uburst = limits["per_user"]
        outcomes = dict(db.execute("SELECT outcome || ' ' || rule, COUNT(*) FROM bot_decisions WHERE persona = ? GROUP BY 1", (persona,)).fetchall())
        report["personas"][persona] = {
            "replies": len(rows),
            "rate_violations": gcra_violations(times, count, period, burst, limits["jitter"]),
            "max_per_thread": max((len(v) for v in per_thread.values()), default=0),
            "per_thread_limit": limits["per_thread"],
            "cooldown_violations": sum(1 for v in per_thread.values() for a, b in zip(v, v[1:]) if b - a + limits["jitter"] < limits["cooldown"] - 1e-3),
            "per_user_violations": sum(gcra_violations(v, ucount, uperiod, uburst, limits["jitter"]) for v in per_user.values()),
            "decisions": outcomes,
        }
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{args.port}/metrics").read().decode()
    report["bot_first_draft_overhead_ms"] = [line for line in metrics.splitlines() if line.startswith("gatewayd_bot_first_draft")]
    print(json.dumps(report, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=18091)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--data", required=True, help="the gateway's data directory, to read the store")
    parser.add_argument("--quiet", type=int, default=60, help="seconds of quiet after the flood")
    parser.add_argument("--check-only", action="store_true", help="only check the store of an earlier run")
    asyncio.run(main(parser.parse_args()))
