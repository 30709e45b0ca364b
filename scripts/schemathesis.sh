#!/usr/bin/env bash
# The served protocol documents against the server itself. First every kind of WebSocket frame
# against the AsyncAPI document (scripts/validate-frames.py); then schemathesis on the OpenAPI
# document (`--checks all`: server errors, statuses, content types, response schemas,
# schema-valid requests accepted and invalid ones refused, 405 for undeclared methods, the
# stateful links). Both must find nothing.
#
#   scripts/schemathesis.sh [path/to/gatewayd] [extra st arguments, like --seed 7]
#
# Two runs on one fresh gateway: with an admin token (every operation, the admin API included)
# and with none (what anonymous readers get). Write limits are raised for the run so that the
# writes' logic is tested rather than their limiter; the limiter has tests of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/debug/gatewayd}
shift || true
work=.build-schemathesis
mkdir -p "$work"
command -v st >/dev/null 2>&1 || python3 -m pip install -q schemathesis

. scripts/gateway-process.sh
GATEWAYD_WRITES_POSTS_PER_MINUTE=100000 GATEWAYD_WRITES_COMMENTS_PER_MINUTE=100000 \
GATEWAYD_WRITES_REACTIONS_PER_MINUTE=100000 GATEWAYD_WRITES_DELETES_PER_MINUTE=100000 \
    start_gateway "$binary" "$work/gatewayd.log" --personas personas --log-level warning
token=$("$binary" token --user u_schemathesis --name Schemathesis --role admin --data "$data")
url="http://127.0.0.1:$port/v1/openapi.yaml"

status=0
# Before schemathesis, whose admin calls pause personas and kick sessions.
python3 scripts/validate-frames.py --port "$port" --binary "$binary" --data "$data" || status=1
echo "schemathesis with an admin token:"
st run "$url" --checks all --max-examples 50 --seed 1 -H "Authorization: Bearer $token" "$@" > "$work/admin.log" 2>&1 || status=1
tail -n 3 "$work/admin.log"
echo "schemathesis without a token:"
st run "$url" --checks all --max-examples 30 --seed 2 "$@" > "$work/anonymous.log" 2>&1 || status=1
tail -n 3 "$work/anonymous.log"
if [ "$status" -ne 0 ]; then
    echo "schemathesis found mismatches between the OpenAPI document and the server:"
    cat "$work/admin.log" "$work/anonymous.log"
    if ! kill -0 $server 2>/dev/null; then echo "The gateway stopped; its log:"; cat "$work/gatewayd.log"; fi
fi
exit $status
