import Foundation
import NIOCore

/// Reads a connection's first request head, after the connection guard. A plain WebSocket
/// handshake for `/v1/ws` that the server accepts is answered here and the session installed,
/// without NIO's HTTP decoder, encoder and upgrade handler: adding those handlers and removing
/// them again after the upgrade cost a WebSocket connection about a quarter of its setup CPU.
/// Anything else (another path, a request to refuse, a trusted proxy, a head this reader does not
/// take for plain) goes to the HTTP pipeline with its bytes unchanged, and is answered there as
/// it always was, refusals included.
final class HandshakeFastPath: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A longer head is the HTTP pipeline's to judge (and refuse, past its own limit).
    static let longestHead = 8192

    private let runtime: GatewayRuntime
    private let result: EventLoopPromise<GatewayChannel.UpgradeResult>
    /// Builds the HTTP pipeline after this handler; its future says how that connection went.
    private let configureHTTP: () throws -> EventLoopFuture<GatewayChannel.UpgradeResult>
    private var received: ByteBuffer?
    /// How far `received` was scanned without finding the head's end, so that a head sent a byte
    /// at a time is not scanned again from its start on every read.
    private var scanned = 0
    private var decided = false

    init(
        runtime: GatewayRuntime, result: EventLoopPromise<GatewayChannel.UpgradeResult>,
        configureHTTP: @escaping () throws -> EventLoopFuture<GatewayChannel.UpgradeResult>
    ) {
        self.runtime = runtime
        self.result = result
        self.configureHTTP = configureHTTP
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !decided else { return context.fireChannelRead(data) }
        var bytes = unwrapInboundIn(data)
        if received == nil {
            received = bytes
        } else {
            received?.writeBuffer(&bytes)
        }
        guard var received else { return }
        let headLength: Int
        // The scan resumes a few bytes back: the end of the head may straddle two reads.
        switch received.withUnsafeReadableBytes({ Self.scan($0, from: max(0, scanned - 3)) }) {
        case .head(let length) where length <= Self.longestHead:
            headLength = length
        case .incomplete where received.readableBytes <= Self.longestHead:
            scanned = received.readableBytes
            return
        default:
            return handOver(context: context)
        }
        guard let head = received.withUnsafeReadableBytes({ HandshakeHead(UnsafeRawBufferPointer(rebasing: $0.prefix(headLength))) }),
            let accept = acceptance(of: head, context: context)
        else {
            return handOver(context: context)
        }
        decided = true
        received.moveReaderIndex(forwardBy: headLength + 4)
        self.received = nil
        do {
            context.writeAndFlush(wrapOutboundOut(accept.response), promise: nil)
            context.pipeline.fireUserInboundEventTriggered(ConnectionGuard.HandshakeCompleted())
            try GatewayWebSocketUpgrader.installSession(on: context.channel, compressionNegotiated: accept.compressionNegotiated, runtime: runtime)
            // Frames the client sent right behind its handshake are the session's.
            if received.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(received)) }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            result.succeed(.websocket)
        } catch {
            result.fail(error)
            context.close(promise: nil)
        }
    }

    /// The `101` answer and what it agreed, when the handshake is one this handler may accept:
    /// judged by `GatewayWebSocketUpgrader`'s rules and answered as it answers, and nil for
    /// anything it refuses or would have to look at more closely (the trusted proxy's client is
    /// limited there).
    private func acceptance(of head: HandshakeHead, context: ChannelHandlerContext) -> (response: ByteBuffer, compressionNegotiated: Bool)? {
        guard head.version == "HTTP/1.1", head.first(.contentLength) == nil, head.first(.transferEncoding) == nil,
            !runtime.connectionLimiter.isTrustedProxy(context.channel.remoteAddress?.ipAddress),
            case .success(let agreement) = GatewayWebSocketUpgrader.judge(HandshakeRequest(head), runtime: runtime)
        else { return nil }
        let response = agreement.responseHeaders.reduce("HTTP/1.1 101 Switching Protocols\r\n") { $0 + "\($1.name): \($1.value)\r\n" } + "\r\n"
        return (context.channel.allocator.buffer(string: response), agreement.extensions != nil)
    }

    /// Gives the connection to the HTTP pipeline, with every byte read so far and then `event`, the
    /// inbound event that made it decide, if any (once this handler has left the pipeline, what
    /// it fires reaches nobody).
    private func handOver(context: ChannelHandlerContext, then event: Any? = nil) {
        decided = true
        do {
            result.completeWith(try configureHTTP())
        } catch {
            result.fail(error)
            context.close(promise: nil)
            return
        }
        if let received { context.fireChannelRead(wrapInboundOut(received)) }
        received = nil
        if let event { context.fireUserInboundEventTriggered(event) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // A client that stops sending before its head ends is the HTTP pipeline's to answer.
        if !decided, case ChannelEvent.inputClosed = event { return handOver(context: context, then: event) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !decided {
            decided = true
            result.fail(ChannelError.eof)
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if !decided {
            decided = true
            result.fail(ChannelError.ioOnClosedChannel)
        }
    }

    /// How far the bytes read so far go towards a head.
    enum Scan: Equatable {
        /// No blank line yet, and nothing unusual.
        case incomplete
        /// The head is this many bytes, before its blank line.
        case head(Int)
        /// A byte that is not printable ASCII or a tab, or a CR or LF without the other: NIO's
        /// parser is the one to judge that.
        case unusual
    }

    static func scan(_ bytes: UnsafeRawBufferPointer, from start: Int = 0) -> Scan {
        for index in start..<bytes.count {
            switch bytes[index] {
            case 10:
                guard index > 0, bytes[index - 1] == 13 else { return .unusual }
                if index >= 3, bytes[index - 2] == 10 { return .head(index - 3) }
            case 13:
                if index + 1 < bytes.count, bytes[index + 1] != 10 { return .unusual }
            case 9, 0x20..<0x7F:
                continue
            default:
                return .unusual
            }
        }
        return .incomplete
    }
}

/// A request head read only as far as a plain handshake needs: a request line of three parts and
/// `name: value` headers with no folding. Anything else makes it nil, and the connection goes to
/// NIO's HTTP parser. Only the headers a handshake is judged by are kept.
struct HandshakeHead {
    enum Field: CaseIterable {
        case host, upgrade, connection, contentLength, transferEncoding, key, version, origin, extensions

        var name: String {
            switch self {
            case .host: "host"
            case .upgrade: "upgrade"
            case .connection: "connection"
            case .contentLength: "content-length"
            case .transferEncoding: "transfer-encoding"
            case .key: "sec-websocket-key"
            case .version: "sec-websocket-version"
            case .origin: "origin"
            case .extensions: "sec-websocket-extensions"
            }
        }
    }

    private(set) var method = ""
    private(set) var target = ""
    private(set) var version = ""
    /// In the order received.
    private var fields: [(field: Field, value: String)] = []

    /// `bytes` is the head without the blank line that ends it, as `HandshakeFastPath.scan`
    /// passed it: printable ASCII and tabs, in lines that end in CRLF.
    init?(_ bytes: UnsafeRawBufferPointer) {
        var lineStart = 0
        var isRequestLine = true
        while true {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != 13 { lineEnd += 1 }
            let line = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<lineEnd])
            if isRequestLine {
                guard readRequestLine(line) else { return nil }
                isRequestLine = false
            } else {
                guard readField(line) else { return nil }
            }
            if lineEnd == bytes.count { return }
            lineStart = lineEnd + 2
        }
    }

    private mutating func readRequestLine(_ line: UnsafeRawBufferPointer) -> Bool {
        // NIO's parser refuses a tab in the target; so does this one, leaving the answer to it.
        guard !line.contains(9) else { return false }
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].first == UInt8(ascii: "/") else { return false }
        method = String(decoding: parts[0], as: UTF8.self)
        target = String(decoding: parts[1], as: UTF8.self)
        version = String(decoding: parts[2], as: UTF8.self)
        return true
    }

    private mutating func readField(_ line: UnsafeRawBufferPointer) -> Bool {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { return false }
        let name = line[..<colon]
        guard name.allSatisfy(Self.isTokenCharacter) else { return false }
        guard let field = Field.allCases.first(where: { Self.equalIgnoringCase(name, $0.name) }) else { return true }
        fields.append((field, String(decoding: line[(colon + 1)...], as: UTF8.self)))
        return true
    }

    /// RFC 9110's `tchar`, the characters of a header name.
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): true
        default: tokenPunctuation.contains(byte)
        }
    }

    private static let tokenPunctuation = Set("!#$%&'*+-.^_`|~".utf8)

    private static func equalIgnoringCase(_ bytes: Slice<UnsafeRawBufferPointer>, _ lowercased: String) -> Bool {
        bytes.count == lowercased.utf8.count
            && zip(bytes, lowercased.utf8).allSatisfy { byte, expected in (byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) == expected }
    }

    func first(_ field: Field) -> String? {
        fields.first { $0.field == field }?.value
    }

    func all(_ field: Field) -> [String] {
        fields.filter { $0.field == field }.map(\.value)
    }
}

extension HandshakeRequest {
    init(_ head: HandshakeHead) {
        self.init(method: head.method, target: head.target, isHTTP11OrLater: head.version == "HTTP/1.1") { name in
            HandshakeHead.Field.allCases.first { $0.name == name }.map(head.all) ?? []
        }
    }
}
