import Foundation
import NIOCore
import NIOPosix
import NIOWebSocket
import Synchronization

/// What a test client took off the wire.
enum Received: CustomStringConvertible {
    case message([String: Any], raw: String)
    case close(code: UInt16?, reason: String)
    case end

    var description: String {
        switch self {
        case .message(_, let raw): "message \(raw)"
        case .close(let code, let reason): "close \(code.map(String.init) ?? "-") \(reason)"
        case .end: "end of connection"
        }
    }
}

struct TestClientError: Error, CustomStringConvertible {
    let description: String
}

/// Frames as they arrive, for a test to wait on with a deadline.
final class FrameInbox: Sendable {
    private struct State {
        var frames: [WebSocketFrame?] = []
        var waiter: CheckedContinuation<WebSocketFrame??, Never>?
        var waiterID = 0
        var finished = false
        var failure: (any Error)?
    }

    private let state = Mutex(State())

    func push(_ frame: WebSocketFrame?) {
        let waiter = state.withLock { state -> CheckedContinuation<WebSocketFrame??, Never>? in
            if frame == nil { state.finished = true }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.frames.append(frame)
            return nil
        }
        waiter?.resume(returning: .some(frame))
    }

    /// The client's pipeline caught an error, and closes the connection for it.
    func failed(_ error: any Error) {
        state.withLock { $0.failure = $0.failure ?? error }
    }

    /// Why the connection ended, as far as this side knows: for a failed test.
    var ending: String {
        state.withLock { state in
            if let failure = state.failure { return "this client's pipeline caught \(failure) and closed it" }
            return state.finished ? "it had ended (the server closed it, or this client did)" : "it was closing"
        }
    }

    /// The next frame; `.some(nil)` once the connection ended; nil on timeout.
    func next(timeout: Duration) async -> WebSocketFrame?? {
        let result: WebSocketFrame?? = await withCheckedContinuation { continuation in
            let (ready, waiterID) = state.withLock { state -> (WebSocketFrame???, Int) in
                if !state.frames.isEmpty { return (.some(state.frames.removeFirst()), 0) }
                if state.finished { return (.some(.some(nil)), 0) }
                state.waiter = continuation
                state.waiterID += 1
                return (nil, state.waiterID)
            }
            if let ready {
                continuation.resume(returning: ready)
                return
            }
            Task {
                try? await Task.sleep(for: timeout)
                let waiter = state.withLock { state -> CheckedContinuation<WebSocketFrame??, Never>? in
                    guard state.waiterID == waiterID else { return nil }
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume(returning: nil)
            }
        }
        return result
    }
}

/// Reads the HTTP answer to the upgrade request, then turns the pipeline into a WebSocket client.
private final class HandshakeHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    // Safe: used only on its channel's event loop; the promise is thread-safe.
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let inbox: FrameInbox
    private var received = ByteBuffer()
    private var promise: EventLoopPromise<(Int, [String: String])>?
    private var pendingResponse: EventLoopFuture<(Int, [String: String])>?

    init(inbox: FrameInbox) { self.inbox = inbox }

    var response: EventLoopFuture<(Int, [String: String])> { pendingResponse! }

    func handlerAdded(context: ChannelHandlerContext) {
        let promise = context.eventLoop.makePromise(of: (Int, [String: String]).self)
        self.promise = promise
        pendingResponse = promise.futureResult
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received.writeBuffer(&bytes)
        let view = received.readableBytesView
        guard let end = view.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
        let headLength = end.upperBound - view.startIndex
        let head = received.readString(length: headLength) ?? ""
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        let status = statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let rest = received
        do {
            if status == 101 {
                try context.pipeline.syncOperations.addHandler(WebSocketFrameEncoder())
                try context.pipeline.syncOperations.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 24)))
                try context.pipeline.syncOperations.addHandler(InboxHandler(inbox: inbox))
            }
            promise?.succeed((status, headers))
            promise = nil
            if rest.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(rest)) }
            received = ByteBuffer()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        } catch {
            promise?.fail(error)
            promise = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise?.fail(TestClientError(description: "connection closed during the handshake"))
        promise = nil
        inbox.push(nil)
        context.fireChannelInactive()
    }
}

private final class InboxHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    let inbox: FrameInbox

    init(inbox: FrameInbox) { self.inbox = inbox }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inbox.push(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbox.push(nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        inbox.failed(error)
        context.close(promise: nil)
    }
}

/// A real WebSocket client over a real socket, raw enough to send any frame a test needs.
final class TestClient: Sendable {
    let channel: any Channel
    let inbox: FrameInbox

    private init(channel: any Channel, inbox: FrameInbox) {
        self.channel = channel
        self.inbox = inbox
    }

    /// Connects and performs the opening handshake (RFC 6455 section 4.1) by hand, so that the
    /// test sees exactly what the server answered.
    static func connect(port: Int, path: String = "/v1/ws", extraHeaders: [(String, String)] = []) async throws -> TestClient {
        let (client, _) = try await connectReturningHeaders(port: port, path: path, extraHeaders: extraHeaders)
        return client
    }

    static func connectReturningHeaders(port: Int, path: String = "/v1/ws", extraHeaders: [(String, String)] = []) async throws
        -> (TestClient, [String: String])
    {
        let inbox = FrameInbox()
        let handshake = HandshakeHandler(inbox: inbox)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handshake) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for (name, value) in extraHeaders { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        try await writing(inbox) { try await channel.writeAndFlush(ByteBuffer(string: request)) }
        let (status, headers) = try await handshake.response.get()
        guard status == 101 else {
            channel.close(promise: nil)
            throw TestClientError(description: "the server refused the WebSocket upgrade with \(status)")
        }
        guard headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" else {
            throw TestClientError(description: "wrong Sec-WebSocket-Accept: \(headers)")
        }
        return (TestClient(channel: channel, inbox: inbox), headers)
    }

    // MARK: Sending

    func sendFrame(_ opcode: WebSocketOpcode, _ bytes: [UInt8], fin: Bool = true, rsv1: Bool = false, masked: Bool = true) async throws {
        let maskKey: WebSocketMaskingKey? = masked ? .random() : nil
        try await write(WebSocketFrame(fin: fin, rsv1: rsv1, opcode: opcode, maskKey: maskKey, data: ByteBuffer(bytes: bytes)))
    }

    private func write(_ frame: WebSocketFrame) async throws {
        try await Self.writing(inbox) { try await channel.writeAndFlush(frame) }
    }

    /// Runs `write`; on a closed connection the error says how it ended.
    private static func writing(_ inbox: FrameInbox, _ write: () async throws -> Void) async throws {
        do {
            try await write()
        } catch ChannelError.ioOnClosedChannel {
            throw TestClientError(description: "the connection was closed before this write: \(inbox.ending)")
        }
    }

    /// A message as a masked text frame, as a client sends it.
    private static func textFrame(_ object: [String: Any]) throws -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object)))
    }

    func sendText(_ text: String) async throws {
        try await sendFrame(.text, Array(text.utf8))
    }

    func send(_ object: [String: Any]) async throws {
        try await write(Self.textFrame(object))
    }

    /// Sends every request in one flush, so that the server reads them together, and collects
    /// the reply (ack or error) to each, by id.
    func requestAll(_ requests: [[String: Any]]) async throws -> [Int: [String: Any]] {
        let writes = try requests.map { channel.write(try Self.textFrame($0)) }
        channel.flush()
        try await Self.writing(inbox) { try await EventLoopFuture.andAllSucceed(writes, on: channel.eventLoop).get() }
        var replies: [Int: [String: Any]] = [:]
        while replies.count < requests.count {
            let message = try await message()
            if let id = message.int("id"), message.string("op") == "ack" || message.string("op") == "error" { replies[id] = message }
        }
        return replies
    }

    func close() {
        channel.close(promise: nil)
    }

    // MARK: Receiving

    /// How long a read waits for what should come: generous, because a CI machine running the
    /// suite on PostgreSQL beside a build can stall for seconds, and a passing test never waits it
    /// out. What must not come is checked with `staysQuiet(for:)`, with a bound of its own.
    static let patience: Duration = .seconds(15)

    func receive(timeout: Duration = TestClient.patience) async throws -> Received {
        guard let frame = await inbox.next(timeout: timeout) else {
            throw TestClientError(description: "nothing arrived within \(timeout)")
        }
        guard let frame else { return .end }
        var data = frame.unmaskedData
        switch frame.opcode {
        case .text:
            let raw = data.readString(length: data.readableBytes) ?? ""
            guard let object = try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any] else {
                throw TestClientError(description: "the server sent a text frame that is not a JSON object: \(raw)")
            }
            return .message(object, raw: raw)
        case .connectionClose:
            let code = data.readInteger(as: UInt16.self)
            return .close(code: code, reason: data.readString(length: data.readableBytes) ?? "")
        case .pong, .ping:
            return try await receive(timeout: timeout)
        default:
            throw TestClientError(description: "unexpected frame \(frame.opcode)")
        }
    }

    /// The next message, skipping ephemeral frames unless asked for; fails on close.
    func message(timeout: Duration = TestClient.patience, skipping skipped: Set<String> = ["typing", "draft"]) async throws -> [String: Any] {
        while true {
            switch try await receive(timeout: timeout) {
            case .message(let object, _):
                if let op = object["op"] as? String, skipped.contains(op) { continue }
                return object
            case let other:
                throw TestClientError(description: "expected a message, got \(other)")
            }
        }
    }

    /// Sends a request and returns its answer (`ack` or `error`), skipping events meanwhile.
    func request(_ object: [String: Any]) async throws -> [String: Any] {
        try await send(object)
        while true {
            let message = try await message()
            if message.string("op") == "ack" || message.string("op") == "error" { return message }
        }
    }

    /// The next message, which must have this op.
    func expect(_ op: String, timeout: Duration = TestClient.patience) async throws -> [String: Any] {
        let object = try await message(timeout: timeout, skipping: op == "typing" ? ["draft"] : ["typing", "draft"])
        guard object["op"] as? String == op else {
            throw TestClientError(description: "expected op \(op), got \(object)")
        }
        return object
    }

    /// Reads until the server's close frame and returns its code.
    func expectClose(timeout: Duration = TestClient.patience) async throws -> UInt16? {
        while true {
            switch try await receive(timeout: timeout) {
            case .close(let code, _): return code
            case .end: throw TestClientError(description: "the connection ended without a close frame")
            case .message: continue
            }
        }
    }

    /// Whether nothing at all arrives for `duration`.
    func staysQuiet(for duration: Duration) async -> Bool {
        (await inbox.next(timeout: duration)) == nil
    }
}
