#!/usr/bin/env python3
"""The standard load scenarios with gwload against a freshly started release gatewayd and three
peers people deploy for broadcast (a Node.js `ws` server, a libwebsockets server and uWebSockets'
pub/sub through socketify, all minimal mirrors of the protocol without auth, store or limits),
side by side in one run; then durable write throughput. Prints a table and writes it into docs/performance.md between the
`bench:begin` and `bench:end` markers.

    apt-get install libwebsockets-dev libjansson-dev libssl-dev node-ws && python3 -m pip install socketify
    swift build -c release --product gatewayd && make -C Tools/gwload && make -C Tools/peers
    python3 scripts/bench.py [--idle 10000] [--subscribers 1000,10000] [--seconds 10]
"""
import argparse, json, os, pathlib, platform, re, resource, shutil, signal, subprocess, sys, tempfile, time, urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
SECRET = "bench-secret-bench-secret-bench-secret"
GWLOAD = str(ROOT / "Tools/gwload/gwload")


NEXT_PORT = [19100]


def free_port():
    """A port below the ephemeral range: after thousands of client connections the ephemeral
    ports are full of TIME_WAIT, and a server asked to bind one of them fails."""
    import socket
    while True:
        NEXT_PORT[0] += 1
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", NEXT_PORT[0]))
                return NEXT_PORT[0]
            except OSError:
                continue


class Server:
    def __init__(self, name, command, env=None):
        self.name, self.command, self.env = name, command, env

    def __enter__(self):
        self.port = free_port()
        command = [part.replace("{port}", str(self.port)) for part in self.command]
        self.process = subprocess.Popen(command, env=dict(os.environ, **(self.env or {})), stdout=subprocess.DEVNULL,
                                        stderr=open(tempfile.mktemp(prefix=f"bench-{self.name}-"), "w"))
        import socket
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.3)
        return self

    def __exit__(self, *_):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def gwload(server, *arguments):
    command = [GWLOAD, "--port", str(server.port), "--secret", SECRET, "--pid", str(server.process.pid), *map(str, arguments)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    line = next((l for l in result.stdout.splitlines() if l.startswith("{")), None)
    if not line:
        raise RuntimeError(f"gwload gave no result: {result.stderr[-500:]}")
    return json.loads(line)


def cpu_seconds(pid):
    """The process's user and system CPU so far, from /proc (fields 14 and 15 of its stat)."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle(server, count):
    """The idle scenario, with the server's CPU per connection over its whole life: connect,
    identify, subscribe, 5 s held, closed by gwload's exit (a second allowed for the closes)."""
    before = cpu_seconds(server.process.pid)
    result = gwload(server, "--scenario", "idle", "-n", count, "--ramp", 2000, "--sources", 8, "--duration", 5)
    time.sleep(1)
    result["server_cpu_us_per_connection"] = (cpu_seconds(server.process.pid) - before) * 1e6 / max(1, result["subscribed"])
    return result


def servers(data):
    gatewayd = Server("gatewayd", [str(ROOT / ".build/release/gatewayd"), "serve", "--port", "{port}", "--data", data, "--personas", data + "/none",
                                   "--log-level", "warning"],
                      {"GATEWAYD_JWT_SECRET": SECRET, "GATEWAYD_WRITES_POSTS_PER_MINUTE": "100000", "GATEWAYD_CONNECTIONS_PER_ADDRESS": "0",
                       "GATEWAYD_CONNECTIONS_RATE_PER_ADDRESS": "100000/s burst 100000", "GATEWAYD_SESSIONS_INBOUND_PER_SECOND": "100000",
                       "GATEWAYD_SESSIONS_INBOUND_BURST": "100000"})
    node = Server("node-ws", ["node", str(ROOT / "Tools/peers/node-broadcast.js"), "{port}"], {"NODE_PATH": "/usr/share/nodejs"})
    lws = Server("lws", [str(ROOT / "Tools/peers/lws-broadcast"), "{port}"])
    # uWebSockets' pub/sub (socketify); it busy-polls when idle, so only its burst CPU compares.
    uws = Server("uws", [sys.executable, str(ROOT / "Tools/peers/uws-broadcast.py"), "{port}"])
    return [gatewayd, node, lws, uws]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle", type=int, default=10000)
    parser.add_argument("--subscribers", default="1000,10000")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--no-write", action="store_true", help="print only, leave docs/performance.md alone")
    options = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    rows = []
    data = tempfile.mkdtemp(prefix="gatewayd-bench-")

    for server in servers(data + "/idle"):
        with server:
            result = idle(server, options.idle)
            rows.append(("idle", server.name, options.idle, result))
            print(f"idle {options.idle} {server.name}: {result['subscribed']} held, {result['server_rss_bytes_per_connection']} B/connection, "
                  f"{result['server_cpu_us_per_connection']:.0f} us CPU/connection", flush=True)

    for count in [int(n) for n in options.subscribers.split(",")]:
        for server in servers(data + f"/fanout{count}"):
            with server:
                ramp = ("--ramp", 2000, "--sources", 8)
                flat_out = gwload(server, "--scenario", "fanout", "-n", count, "--writers", 1, "--rate", 0, "--duration", options.seconds, *ramp)
                posts_per_second = max(1.0, flat_out["acked_per_second"])
                rows.append((f"fanout {count}, max", server.name, count, flat_out))
            with Server(server.name, server.command, server.env) as fresh:
                half = gwload(fresh, "--scenario", "fanout", "-n", count, "--writers", 1, "--rate", round(posts_per_second / 2, 1),
                              "--duration", options.seconds, *ramp)
                rows.append((f"fanout {count}, 50% rate", server.name, count, half))
            print(f"fanout {count} {server.name}: max {flat_out['delivered_per_second']}/s at {posts_per_second:.0f} posts/s, "
                  f"{flat_out['server_cpu_us_per_delivery']} us/delivery; at half: p50 {half['latency_us']['p50']} us p99 {half['latency_us']['p99']} us, "
                  f"lost {flat_out['lost'] + half['lost']}", flush=True)

    # Reconnecting subscribers that resume with `since`: only the gateway keeps offsets to resume from.
    with servers(data + "/churn")[0] as server:
        result = gwload(server, "--scenario", "churn", "-n", 1000, "--writers", 1, "--rate", 200, "--duration", options.seconds,
                        "--ramp", 2000, "--sources", 8)
        rows.append(("churn 1000, 200 posts/s", "gatewayd", 1000, result))
        print(f"churn 1000: {result['sessions_opened']} lives, {result['resumes_not_recovered']} not recovered, lost {result['lost']}", flush=True)

    for writers in (1, 10, 100):
        with servers(data + f"/writes{writers}")[0] as server:
            result = gwload(server, "--scenario", "writes", "--writers", writers, "--rate", 0, "--duration", options.seconds, "--ramp", 1000)
            rows.append((f"durable writes, {writers} writers", "gatewayd", writers, result))
            print(f"writes {writers}: {result['acked_per_second']} acks/s", flush=True)
    shutil.rmtree(data, ignore_errors=True)

    table = render(rows, options)
    print(table)
    if not options.no_write:
        path = ROOT / "docs/performance.md"
        text = path.read_text()
        block = f"<!-- bench:begin -->\n{table}\n<!-- bench:end -->"
        text = re.sub(r"<!-- bench:begin -->.*<!-- bench:end -->", block, text, flags=re.S) if "bench:begin" in text else text + "\n" + block + "\n"
        path.write_text(text)


def render(rows, options):
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
    lines = [f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} cores ({cpu}), {platform.platform()}; "
             "gwload, the server and the peers share the cores. Each row is one run; compare within the table, not across days.", "",
             "| scenario | server | connections | held/subscribed | delivered/s | posts acked/s | server CPU µs per delivery | "
             "latency p50 / p99 (ms) | server RSS (MiB) | bytes per connection | lost / dup / out of order | close codes |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for scenario, server, count, r in rows:
        lines.append(f"| {scenario} | {server} | {count} | {r['subscribed']} | {r['delivered_per_second']:.0f} | {r['acked_per_second']:.0f} | "
                     f"{r['server_cpu_us_per_delivery']:.2f} | {r['latency_us']['p50'] / 1000:.1f} / {r['latency_us']['p99'] / 1000:.1f} | "
                     f"{r['server_rss_kib'] / 1024:.1f} | {r['server_rss_bytes_per_connection']} | {r['lost']} / {r['duplicates']} / {r['out_of_order']} | "
                     f"{json.dumps(r['close_codes']) if r['close_codes'] else '-'} |")
    lives = [f"{srv} {r['server_cpu_us_per_connection']:.0f}" + (" (busy-polls)" if srv == "uws" else "")
             for s, srv, _, r in rows if "server_cpu_us_per_connection" in r]
    if lives:
        lines += ["", "Server CPU µs per idle connection over its life (connect, identify, subscribe, 5 s held, closed): " + ", ".join(lives) + "."]
    ratios = []
    by = {(s, srv): r for s, srv, _, r in rows}
    for scenario in sorted({s for s, _, _, _ in rows if not s.startswith("durable")}):
        ours = by.get((scenario, "gatewayd"))
        for peer in ("node-ws", "lws", "uws"):
            if peer == "uws" and ("idle" in scenario or "50%" in scenario):
                continue
            theirs = by.get((scenario, peer))
            if not ours or not theirs:
                continue
            if scenario == "idle":
                ratios.append(f"- {scenario}: memory per connection, {peer} / gatewayd = "
                              f"{theirs['server_rss_bytes_per_connection'] / max(1, ours['server_rss_bytes_per_connection']):.2f}")
                ratios.append(f"- {scenario}: CPU per connection's life, {peer} / gatewayd = "
                              f"{theirs['server_cpu_us_per_connection'] / max(1, ours['server_cpu_us_per_connection']):.2f}")
            elif ours["server_cpu_us_per_delivery"] > 0:
                ratios.append(f"- {scenario}: CPU per delivery, {peer} / gatewayd = "
                              f"{theirs['server_cpu_us_per_delivery'] / ours['server_cpu_us_per_delivery']:.2f}")
    return "\n".join(lines + ["", "Ratios (above 1: gatewayd uses less):", ""] + ratios)


if __name__ == "__main__":
    main()
