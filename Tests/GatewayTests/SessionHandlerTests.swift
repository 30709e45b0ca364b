import Foundation
import GatewayProtocol
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing
@testable import Gateway

/// The session handler in a testing channel: the frames it writes are read as bytes from the
/// channel, with no socket; the runtime behind it (store, hub, tokens) is a real one.
@Suite("Session handler", .stopsServers)
struct SessionHandlerTests {
    /// A session on a channel of its own, on the runtime of `server`.
    func session(on server: TestServer) async throws -> NIOAsyncTestingChannel {
        let runtime = server.runtime
        return try await NIOAsyncTestingChannel { channel in
            try channel.pipeline.syncOperations.addHandler(WebSocketSession(runtime: runtime, compressionNegotiated: false, maxFrameSize: 1 << 16))
        }
    }

    /// A client's text frame (masked with a zero key, which leaves the payload as it is).
    func send(_ json: String, to channel: NIOAsyncTestingChannel) async throws {
        try await channel.writeInbound(WebSocketFrame(fin: true, opcode: .text, maskKey: WebSocketMaskingKey([0, 0, 0, 0]), data: ByteBuffer(string: json)).clientBytes)
    }

    /// The next frame the session writes, as the bytes a socket would carry.
    func nextFrame(_ channel: NIOAsyncTestingChannel) async throws -> ByteBuffer {
        try await channel.waitForOutboundWrite(as: ByteBuffer.self)
    }

    /// The JSON of the next text frame (server frames are unmasked, so the payload follows the
    /// length).
    func nextMessage(_ channel: NIOAsyncTestingChannel) async throws -> [String: Any] {
        var frame = try await nextFrame(channel)
        while frame.readableBytes == 0 { frame = try await nextFrame(channel) }
        let bytes = Array(frame.readableBytesView)
        #expect(bytes[0] == 0x81, "a final text frame")
        let length = Int(bytes[1] & 0x7F)
        let start = length == 126 ? 4 : (length == 127 ? 10 : 2)
        return try #require(JSONSerialization.jsonObject(with: Data(bytes[start...])) as? [String: Any])
    }

    @Test("hello on connect, identify, sub, and each committed event written as the very bytes the hub encoded once")
    func lifecycleAndDelivery() async throws {
        let server = try await TestServer.start()
        let channel = try await session(on: server)
        let hello = try await nextMessage(channel)
        #expect(hello.string("op") == "hello")
        try await send(#"{"op":"identify","token":"\#(try await server.token("u_handler"))"}"#, to: channel)
        let ready = try await nextMessage(channel)
        #expect(ready.string("op") == "ready")
        #expect(server.runtime.sessions.list(limit: 10).first?.state == .identified, "the registry reads the session's lifecycle")
        try await send(#"{"op":"sub","id":1,"stream":"feed"}"#, to: channel)
        let subscribed = try await nextMessage(channel)
        #expect(subscribed.string("op") == "subscribed")
        _ = try await server.runtime.perform(.post(body: "through the handler", clientID: "h1", botsEnabled: false, generated: nil),
                                             by: User(id: "u_other", name: "Other", role: .user))
        var written = try await nextFrame(channel)
        while written.readableBytes == 0 { written = try await nextFrame(channel) }
        let stored = try #require(try await server.runtime.store.events(in: "feed", after: 0, limit: 1).first)
        #expect(written == OutboundEvent(stored).frame, "the subscriber gets the event's one encoding, byte for byte")
        try await send(#"{"op":"ping","t":7}"#, to: channel)
        let pong = try await nextMessage(channel)
        #expect(pong.string("op") == "pong")
        try await send(#"{"op":"unsub","id":2,"stream":"feed"}"#, to: channel)
        #expect(try await nextMessage(channel).string("op") == "unsubscribed")
        _ = try? await channel.finish()
    }

    @Test("a frame that breaks the protocol gets its close frame, then nothing more is read; a drain sends 4011")
    func closes() async throws {
        let server = try await TestServer.start()
        let channel = try await session(on: server)
        _ = try await nextMessage(channel)
        try await send("[1, 2]", to: channel)
        let close = try await nextFrame(channel)
        #expect(Array(close.readableBytesView.prefix(4)) == [0x88, UInt8(close.readableBytes - 2), 0x0F, 0xA2], "close 4002")
        try await send(#"{"op":"ping"}"#, to: channel)
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil, "after its close the session answers nothing")
        _ = try? await channel.finish()

        let draining = try await session(on: server)
        _ = try await nextMessage(draining)
        server.runtime.sessions.drainAll()
        let drained = try await nextFrame(draining)
        #expect(Array(drained.readableBytesView.prefix(4)) == [0x88, UInt8(drained.readableBytes - 2), 0x0F, 0xAB], "close 4011")
        _ = try? await draining.finish()
    }
}
