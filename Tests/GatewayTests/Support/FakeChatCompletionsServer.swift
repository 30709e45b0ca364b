import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// TEST DOUBLE for a paid third-party API: a local HTTP server that answers
/// `POST /v1/chat/completions` the way OpenAI-compatible providers do on the wire (status, headers,
/// Server-Sent Events byte for byte, error bodies), replaying scripts the test queues per model
/// name. It stands in for Kimi, DeepSeek, Qwen, OpenAI and the local servers, which cost money or
/// need a GPU; the recorded sequences are in `ProviderRecordings`.
final class FakeChatCompletionsServer: Sendable {
    enum Step: Sendable {
        /// Bytes as they go on the wire, flushed at once.
        case send(String)
        case sendBytes([UInt8])
        case pause(Duration)
        /// Close the connection without ending the response.
        case cut
        /// Send nothing more, never end.
        case hang
    }

    struct Script: Sendable {
        var status = 200
        var headers: [(String, String)] = [("Content-Type", "text/event-stream")]
        var steps: [Step]

        /// A stream of `data:` events, one per chunk, then the blank line after each.
        static func events(_ payloads: [String], pause: Duration = .zero) -> Script {
            var steps: [Step] = []
            for (index, payload) in payloads.enumerated() {
                if index > 0, pause > .zero { steps.append(.pause(pause)) }
                steps.append(.send("data: \(payload)\n\n"))
            }
            return Script(steps: steps)
        }

        /// An error answer with a JSON body, as providers send them.
        static func error(_ status: Int, _ body: String, headers: [(String, String)] = []) -> Script {
            Script(status: status, headers: [("Content-Type", "application/json")] + headers, steps: [.send(body)])
        }
    }

    struct Received: Sendable {
        var headers: [(String, String)]
        /// The request body as sent.
        var text: String

        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
        var model: String { json["model"] as? String ?? "" }
        /// The messages' contents by role, in order.
        var messages: [(role: String, content: String)] {
            (json["messages"] as? [[String: Any]] ?? []).map { ($0["role"] as? String ?? "", $0["content"] as? String ?? "") }
        }
    }

    private struct State {
        var scripts: [String: [Script]] = [:]
        var received: [Received] = []
        var inFlight = 0
        var maximumInFlight = 0
    }

    private let state = NIOLockedValueBox(State())
    private let channel: any Channel
    let port: Int

    var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    static func start() async throws -> FakeChatCompletionsServer {
        let box = NIOLockedValueBox<FakeChatCompletionsServer?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(server: { box.withLockedValue { $0 } }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = FakeChatCompletionsServer(channel: channel, port: channel.localAddress?.port ?? 0)
        box.withLockedValue { $0 = server }
        return server
    }

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    func stop() async {
        try? await channel.close()
    }

    /// Queues answers for requests naming `model`; the last one repeats once the others are used.
    func script(_ model: String, _ scripts: Script...) {
        state.withLockedValue { $0.scripts[model, default: []] += scripts }
    }

    var received: [Received] { state.withLockedValue { $0.received } }
    func requests(for model: String) -> Int { received.filter { $0.model == model }.count }
    var maximumInFlight: Int { state.withLockedValue { $0.maximumInFlight } }
    /// Requests open right now.
    var inFlight: Int { state.withLockedValue { $0.inFlight } }

    fileprivate func take(_ request: Received) -> Script {
        state.withLockedValue { state in
            state.received.append(request)
            state.inFlight += 1
            state.maximumInFlight = max(state.maximumInFlight, state.inFlight)
            let model = request.model
            guard var queue = state.scripts[model], let first = queue.first else {
                return .error(404, #"{"error":{"message":"The model `\#(model)` does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#)
            }
            if queue.count > 1 { queue.removeFirst() }
            state.scripts[model] = queue
            return first
        }
    }

    fileprivate func finished() {
        state.withLockedValue { $0.inFlight -= 1 }
    }

    private final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let server: @Sendable () -> FakeChatCompletionsServer?
        var head: HTTPRequestHead?
        var body = ByteBuffer()
        var active = false

        init(server: @escaping @Sendable () -> FakeChatCompletionsServer?) {
            self.server = server
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body.clear()
            case .body(var chunk):
                body.writeBuffer(&chunk)
            case .end:
                guard let head, let server = server() else { return }
                let request = Received(headers: head.headers.map { ($0.name, $0.value) }, text: String(buffer: body))
                let script = server.take(request)
                active = true
                var headers = HTTPHeaders(script.headers)
                if script.status != 200 {
                    let length = script.steps.reduce(0) { total, step in
                        if case .send(let text) = step { return total + text.utf8.count }
                        return total
                    }
                    headers.add(name: "Content-Length", value: "\(length)")
                }
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .init(statusCode: script.status), headers: headers))),
                                      promise: nil)
                play(script.steps[...], context: context, server: server)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            if active, let server = server() {
                active = false
                server.finished()
            }
            context.fireChannelInactive()
        }

        private func play(_ steps: ArraySlice<Step>, context: ChannelHandlerContext, server: FakeChatCompletionsServer) {
            guard let step = steps.first else {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                if active {
                    active = false
                    server.finished()
                }
                return
            }
            let rest = steps.dropFirst()
            switch step {
            case .send(let text):
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
                play(rest, context: context, server: server)
            case .sendBytes(let bytes):
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
                play(rest, context: context, server: server)
            case .pause(let duration):
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .nanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)) {
                    let (handler, context) = loopBound.value
                    guard context.channel.isActive else { return }
                    handler.play(rest, context: context, server: server)
                }
            case .cut:
                context.close(promise: nil)
            case .hang:
                break
            }
        }
    }
}
