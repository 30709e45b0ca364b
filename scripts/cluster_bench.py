#!/usr/bin/env python3
"""Cross-node delivery on PostgreSQL: what the bus (LISTEN/NOTIFY) adds to a write's way to its
subscribers, and how many events a second it carries, against the same writes seen on the node
that made them. Two release gatewayd nodes on one PostgreSQL of our own (scripts/postgres.sh);
one asyncio process writes on node A and reads on A and B at once, so both readers see the same
events on one clock. Also the SQLite single node, for reference. Prints a table and writes it
into docs/cluster.md between the `cluster-bench:begin` and `cluster-bench:end` markers.

    swift build -c release --product gatewayd
    python3 scripts/cluster_bench.py [--writes 2000] [--window 64]
"""
import argparse, asyncio, json, os, pathlib, re, signal, socket, statistics, subprocess, sys, tempfile, time, uuid

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import gwtools  # noqa: E402
import websockets  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
SECRET = "cluster-bench-secret-cluster-bench-secret"
BINARY = str(ROOT / ".build/release/gatewayd")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Node:
    def __init__(self, store, data):
        self.port = free_port()
        self.process = subprocess.Popen(
            [BINARY, "serve", "--port", str(self.port), "--data", data, "--personas", data + "/none", "--store", store,
             "--log-level", "warning"],
            env=dict(os.environ, GATEWAYD_JWT_SECRET=SECRET, GATEWAYD_WRITES_POSTS_PER_MINUTE="100000",
                     GATEWAYD_WRITES_COMMENTS_PER_MINUTE="100000", GATEWAYD_SESSIONS_INBOUND_PER_SECOND="100000",
                     GATEWAYD_SESSIONS_INBOUND_BURST="100000"),
            stdout=subprocess.DEVNULL, stderr=open(tempfile.mktemp(prefix="cluster-bench-"), "w"))
        for _ in range(300):
            try:
                import urllib.request
                if urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=1).status == 200:
                    return
            except Exception:
                time.sleep(0.1)
        raise SystemExit(f"node on {self.port} did not become ready")

    def bus(self):
        """(notifications, events) the node's bus received so far."""
        import urllib.request
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5).read().decode()
        values = dict(re.findall(r"^(gatewayd_bus_(?:notifications|events)_total) (\S+)$", text, re.M))
        return float(values.get("gatewayd_bus_notifications_total", 0)), float(values.get("gatewayd_bus_events_total", 0))

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


async def client(port, user):
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/v1/ws", max_size=None, max_queue=None)
    await ws.recv()
    await ws.send(json.dumps({"op": "identify", "token": gwtools.token(SECRET, user)}))
    await ws.recv()
    return ws


async def reader(ws, sent, total, arrivals):
    await ws.send(json.dumps({"op": "sub", "id": "s", "stream": "feed"}))
    while len(arrivals) < total:
        message = json.loads(await ws.recv())
        if message.get("op") == "event":
            body = message["data"]["body"]
            arrivals[body] = time.perf_counter() - sent[body]


async def run(write_ports, read_ports, writes, window):
    """Writes `writes` posts, split over write_ports, each writer with `window` in flight; returns
    each reader's latencies (send to event) and the events per second it received."""
    readers = [await client(port, f"u_reader{index}") for index, port in enumerate(read_ports)]
    writers = [await client(port, f"u_writer{index}") for index, port in enumerate(write_ports)]
    sent, arrivals = {}, [dict() for _ in readers]
    tasks = [asyncio.create_task(reader(ws, sent, writes, arrivals[index])) for index, ws in enumerate(readers)]
    await asyncio.sleep(0.3)
    run_id = uuid.uuid4().hex[:6]
    started = time.perf_counter()

    async def write(writer, indexes):
        slots = asyncio.Semaphore(window)

        async def acks():
            acked = 0
            while acked < len(indexes):
                message = json.loads(await writer.recv())
                if message.get("op") in ("ack", "error"):
                    acked += 1
                    slots.release()

        ack_task = asyncio.create_task(acks())
        for index in indexes:
            await slots.acquire()
            body = f"{run_id} {index}"
            sent[body] = time.perf_counter()
            await writer.send(json.dumps({"op": "post", "id": index, "body": body, "client_id": body}))
        await ack_task

    ack_task = asyncio.gather(*(write(writer, range(number, writes, len(writers))) for number, writer in enumerate(writers)))
    await asyncio.wait_for(asyncio.gather(ack_task, *tasks), timeout=300)
    elapsed = time.perf_counter() - started
    results = []
    for received in arrivals:
        latencies = sorted(received.values())
        results.append({
            "events_per_second": len(latencies) / elapsed,
            "p50_ms": 1000 * latencies[len(latencies) // 2],
            "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
        })
    for ws in readers + writers:
        await ws.close()
    return results


def measure(args):
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        # A directory of its own, which the script hands to the postgres user.
        pg = tempfile.mkdtemp(prefix="cluster-bench-pg-")
        url = subprocess.check_output([str(ROOT / "scripts/postgres.sh"), "start", pg, str(free_port())], text=True).strip()
        try:
            store = f"{url}?schema=bench_{uuid.uuid4().hex[:8]}&sslmode=disable"
            nodes = [Node(store, scratch + "/a"), Node(store, scratch + "/b")]
            try:
                # Paced: one write at a time, so latency is the path, not a queue.
                runs = [
                    ("PostgreSQL, one write at a time", [nodes[0].port], args.paced, 1),
                    (f"PostgreSQL, {args.window} writes in flight", [nodes[0].port], args.writes, args.window),
                    (f"PostgreSQL, writers on A and B, {args.window} in flight each", [nodes[0].port, nodes[1].port], args.writes, args.window),
                ]
                for name, write_ports, writes, window in runs:
                    before = nodes[1].bus()
                    same, other = asyncio.run(run(write_ports, [nodes[0].port, nodes[1].port], writes, window))
                    after = nodes[1].bus()
                    notifications, events = after[0] - before[0], after[1] - before[1]
                    other["events_per_notification"] = events / notifications if notifications else 0
                    rows.append((name, same, other))
            finally:
                for node in nodes:
                    node.stop()
        finally:
            subprocess.run([str(ROOT / "scripts/postgres.sh"), "stop", pg], check=False)
            subprocess.run(["rm", "-rf", pg], check=False)
        sqlite = Node("sqlite", scratch + "/s")
        try:
            (alone,) = asyncio.run(run([sqlite.port], [sqlite.port], args.paced, 1))
            rows.append(("SQLite single node, one write at a time", alone, None))
            (alone,) = asyncio.run(run([sqlite.port], [sqlite.port], args.writes, args.window))
            rows.append((f"SQLite single node, {args.window} writes in flight", alone, None))
        finally:
            sqlite.stop()
    return rows


def table(rows, args):
    lines = [
        f"{args.writes} posts ({args.paced} when paced) written on node A (or half on A, half on B); readers subscribed to `feed` on "
        "node A and on node B. Every event reaches both through the bus, the writer's node included. Latency: from the writer "
        "sending to the reader receiving the event, one clock; events/s: what each reader received over the run.",
        "",
        "| run | reader on A: events/s | A p50 ms | A p99 ms | reader on B: events/s | B p50 ms | B p99 ms | B p50 − A p50 | events per NOTIFY |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, same, other in rows:
        if other:
            lines.append(f"| {name} | {same['events_per_second']:.0f} | {same['p50_ms']:.2f} | {same['p99_ms']:.2f} | "
                         f"{other['events_per_second']:.0f} | {other['p50_ms']:.2f} | {other['p99_ms']:.2f} | "
                         f"{other['p50_ms'] - same['p50_ms']:+.2f} | {other['events_per_notification']:.1f} |")
        else:
            lines.append(f"| {name} | {same['events_per_second']:.0f} | {same['p50_ms']:.2f} | {same['p99_ms']:.2f} | – | – | – | – | – |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--paced", type=int, default=300)
    parser.add_argument("--window", type=int, default=64)
    args = parser.parse_args()
    if not os.path.exists(BINARY):
        raise SystemExit("build the release binary first: swift build -c release --product gatewayd")
    text = table(measure(args), args)
    print(text)
    doc = ROOT / "docs/cluster.md"
    if doc.exists():
        content = doc.read_text()
        stamp = time.strftime("%Y-%m-%d", time.gmtime())
        block = f"<!-- cluster-bench:begin -->\nMeasured {stamp} on this machine (2 cores, loopback, release build):\n\n{text}\n<!-- cluster-bench:end -->"
        content = re.sub(r"<!-- cluster-bench:begin -->.*<!-- cluster-bench:end -->", block, content, flags=re.S)
        doc.write_text(content)


if __name__ == "__main__":
    main()
