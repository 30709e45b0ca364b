// A minimal broadcast server on Node's `ws` (Debian node-ws), the kind people deploy for a
// live feed, mirroring just enough of gatewayd's protocol for gwload: hello, ready without
// checking the token, subscribed, and each post stamped with an offset and broadcast to every
// subscriber, its writer acknowledged. No auth, no store, no limits: far less work than ours.
//   NODE_PATH=/usr/share/nodejs node Tools/peers/node-broadcast.js PORT
const { WebSocketServer } = require("ws");
const port = Number(process.argv[2] || 8090);
const server = new WebSocketServer({ host: "127.0.0.1", port, path: "/v1/ws", perMessageDeflate: false });
const subscribers = new Set();
let offset = 0;
server.on("connection", (socket) => {
  socket.send(JSON.stringify({ op: "hello", v: 1, heartbeat_ms: 25000, max_message_bytes: 65536, server: "node-ws" }));
  socket.on("message", (data) => {
    let frame;
    try { frame = JSON.parse(data); } catch { return; }
    switch (frame.op) {
      case "identify": socket.send(JSON.stringify({ op: "ready", session_id: "s_node", user: null, read_only: false })); break;
      case "ping": socket.send(JSON.stringify({ op: "pong", t: frame.t })); break;
      case "sub":
        subscribers.add(socket);
        socket.send(JSON.stringify({ op: "subscribed", id: frame.id, stream: frame.stream, offset, epoch: "e_node", recovered: false }));
        break;
      case "post": {
        offset += 1;
        const post = { id: `p_${offset}`, body: frame.body, created_at: new Date().toISOString() };
        // Encoded once, sent to every subscriber, as a careful broadcast server does.
        const event = JSON.stringify({ op: "event", stream: "feed", offset, type: "post.created", ts: post.created_at, data: post });
        for (const subscriber of subscribers) subscriber.send(event);
        socket.send(JSON.stringify({ op: "ack", id: frame.id, result: { post, offset } }));
        break;
      }
      default: break;
    }
  });
  socket.on("close", () => subscribers.delete(socket));
});
console.log(`node-ws broadcast listening on ws://127.0.0.1:${port}/v1/ws`);
