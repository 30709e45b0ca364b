# Sourced by the scripts that test a running gateway: `start_gateway BINARY LOG [serve flags…]`
# starts it on a free loopback port with a throwaway data directory, stops it (and removes the
# directory) when the script exits, and returns once it answers /healthz. Sets `port`, `data`
# and `server` (its PID).
start_gateway() {
    local binary=$1 log=$2
    shift 2
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    data=$(mktemp -d)
    "$binary" serve --port "$port" --data "$data" "$@" > "$log" 2>&1 &
    server=$!
    trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return 0
        sleep 0.1
    done
    echo "gatewayd did not answer on port $port; its log:" >&2
    cat "$log" >&2
    return 1
}
