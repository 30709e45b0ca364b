#!/usr/bin/env python3
"""Many connections across several nodes on one machine (issue 19): K release gatewayd nodes on
one PostgreSQL of our own (scripts/postgres.sh), one gwload process per node (this workplace
caps a process at 20,000 descriptors), each holding C identified subscribers on `feed` from 8
loopback source addresses and posting slowly through one writer. Every post reaches every
subscriber of every node through the bus; each gwload checks its subscribers' offsets (no gap,
no duplicate, nothing out of order) and waits for them to catch up before it counts.

    swift build -c release --product gatewayd && make -C Tools/gwload
    python3 scripts/scale_bench.py [--nodes 6] [--connections 16700] [--ramp 150] [--rate 0.1] [--seconds 30]
"""
import argparse, pathlib, resource, subprocess, sys, tempfile, threading, uuid

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bench  # noqa: E402

ROOT = bench.ROOT


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=6)
    parser.add_argument("--connections", type=int, default=16700, help="subscribers per node")
    parser.add_argument("--ramp", type=int, default=150, help="connections per second per node")
    parser.add_argument("--rate", type=float, default=0.1, help="posts per second per node")
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    scratch = tempfile.mkdtemp(prefix="scale-bench-")
    pg = tempfile.mkdtemp(prefix="scale-bench-pg-")
    url = subprocess.check_output([str(ROOT / "scripts/postgres.sh"), "start", pg, str(bench.free_port())], text=True).strip()
    store = f"{url}?schema=scale_{uuid.uuid4().hex[:8]}&sslmode=disable"
    template = bench.servers(scratch)[0]
    nodes = []
    try:
        for index in range(args.nodes):
            data = f"{scratch}/node{index}"
            command = [part.replace(scratch, data) for part in template.command] + ["--store", store]
            node = bench.Server(f"node{index}", command, template.env)
            node.__enter__()
            nodes.append(node)
        results = [None] * len(nodes)

        def load(index):
            results[index] = bench.gwload(nodes[index], "--scenario", "fanout", "-n", args.connections, "--writers", 1,
                                          "--rate", args.rate, "--duration", args.seconds, "--ramp", args.ramp, "--sources", 8)

        threads = [threading.Thread(target=load, args=(index,)) for index in range(len(nodes))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for node in nodes:
            node.__exit__(None, None, None)
        subprocess.run([str(ROOT / "scripts/postgres.sh"), "stop", pg], check=False)
        subprocess.run(["rm", "-rf", pg, scratch], check=False)

    lines = ["| node | subscribed | failed to connect | close codes | posts acked | events received in order | lost / dup / out of order | p50 / p99 ms | RSS MiB | bytes per connection |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for index, r in enumerate(results):
        codes = ", ".join(f"{code}: {count}" for code, count in sorted(r["close_codes"].items())) or "-"
        lines.append(f"| {index} | {r['subscribed']} | {r['failed']} | {codes} | {r['posts_acked']} | {r['received_in_order']} | {r['lost']} / {r['duplicates']} / "
                     f"{r['out_of_order']} | {r['latency_us']['p50'] / 1000:.0f} / {r['latency_us']['p99'] / 1000:.0f} | "
                     f"{r['server_rss_kib'] / 1024:.0f} | {r['server_rss_bytes_per_connection']} |")
    total = {key: sum(r[key] for r in results) for key in ("subscribed", "failed", "posts_acked", "received_in_order", "lost", "duplicates", "out_of_order")}
    lines.append(f"| all | {total['subscribed']} | {total['failed']} | | {total['posts_acked']} | {total['received_in_order']} | {total['lost']} / "
                 f"{total['duplicates']} / {total['out_of_order']} | | | |")
    print(f"{args.nodes} nodes, {args.connections} subscribers each (ramp {args.ramp}/s per node), {args.rate} posts/s per node, "
          f"{args.seconds} s measured:\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
