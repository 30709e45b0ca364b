"""A minimal broadcast server on uWebSockets (PyPI's socketify wheel carries uWS and uSockets),
mirroring just enough of gatewayd's protocol for gwload, as node-broadcast.js does: hello, ready
without checking the token, subscribed, and each post stamped with an offset, published once to
the `feed` topic and acknowledged. The fan-out is uWS pub/sub, in C++; only the writers' messages
pass through Python. No auth, no store, no limits. Note: socketify's loop busy-polls when idle,
so compare its CPU in burst scenarios only.

    python3 -m pip install socketify
    python3 Tools/peers/uws-broadcast.py PORT
"""
import json, sys
from datetime import datetime, timezone
from socketify import App, AppListenOptions, CompressOptions, OpCode

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8091
app = App()
offset = 0


def send(ws, value):
    ws.send(json.dumps(value, separators=(",", ":")), OpCode.TEXT)


def on_open(ws):
    send(ws, {"op": "hello", "v": 1, "heartbeat_ms": 25000, "max_message_bytes": 65536, "server": "uws"})


def on_message(ws, message, opcode):
    global offset
    try:
        frame = json.loads(message)
    except ValueError:
        return
    op = frame.get("op")
    if op == "identify":
        send(ws, {"op": "ready", "session_id": "s_uws", "user": None, "read_only": False})
    elif op == "ping":
        send(ws, {"op": "pong", "t": frame.get("t")})
    elif op == "sub":
        ws.subscribe("feed")
        send(ws, {"op": "subscribed", "id": frame.get("id"), "stream": frame.get("stream"), "offset": offset, "epoch": "e_uws", "recovered": False})
    elif op == "post":
        offset += 1
        created = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        post = {"id": f"p_{offset}", "body": frame.get("body"), "created_at": created}
        # Encoded once and published to the topic: uWS writes it to every subscriber.
        event = json.dumps({"op": "event", "stream": "feed", "offset": offset, "type": "post.created", "ts": created, "data": post}, separators=(",", ":"))
        app.publish("feed", event, OpCode.TEXT)
        send(ws, {"op": "ack", "id": frame.get("id"), "result": {"post": post, "offset": offset}})


app.ws("/v1/ws", {"compression": CompressOptions.DISABLED, "max_payload_length": 65536, "idle_timeout": 0,
                  "max_backpressure": 64 * 1024 * 1024, "open": on_open, "message": on_message})
app.listen(AppListenOptions(port=port, host="127.0.0.1"), lambda config: print(f"uws broadcast listening on ws://127.0.0.1:{port}/v1/ws", flush=True))
app.run()
