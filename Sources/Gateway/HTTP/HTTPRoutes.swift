import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import GatewayProtocol

/// The HTTP API of PROTOCOL.md section 7, on the same port as the WebSocket endpoint.
public enum HTTPRoutes {
    static func router(runtime: GatewayRuntime, runner: BotRunner) -> Router<GatewayRequestContext> {
        // HEAD answers wherever GET does (RFC 9110 section 9.3.2 makes it a MUST): monitors probe /healthz that way.
        let router = Router(context: GatewayRequestContext.self, options: .autoGenerateHeadEndpoints)
        let routes = RouteTable()
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: MethodNotAllowed(table: routes))
        router.add(middleware: ProxiedClientLimit(limiter: runtime.connectionLimiter))
        router.add(middleware: TokenCheck(tokens: runtime.tokens))

        router.get("/healthz") { _, _ in json(.ok, Array(#"{"status":"ok"}"#.utf8)) }
        router.get("/readyz") { _, _ in
            if runtime.isDraining { throw GatewayError.draining }
            guard await runtime.store.isHealthy() else { throw GatewayError.storeUnavailable }
            return json(.ok, Array(#"{"status":"ready"}"#.utf8))
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: runtime.metrics.render(sessions: runtime.sessions, hub: runtime.hub))))
        }

        StaticFiles.add(to: router, configuration: runtime.configuration, logger: runtime.logger)
        router.get("/v1/feed") { request, context in
            let user = try reader(context, runtime)
            let limit = try pageLimit(request, default: 20, maximum: 100)
            let before = request.uri.queryParameters.get("before")
            if let before { try TextRules.validateItemID(before, prefix: "p", field: "before") }
            let page = try await runtime.store.feedPage(before: before, limit: limit, reader: user?.id)
            var writer = JSONWriter(capacity: 4096)
            writer.beginObject()
            writer.key("posts")
            writer.beginArray()
            for post in page.posts {
                writer.separator()
                post.write(to: &writer)
            }
            writer.endArray()
            writePosition(page.position, to: &writer)
            writer.endObject()
            return json(.ok, writer.bytes)
        }

        router.get("/v1/posts/:id") { request, context in
            let user = try reader(context, runtime)
            let thread = try await runtime.store.thread(postID: try context.parameters.require("id"), commentLimit: 500, reader: user?.id)
            var writer = JSONWriter(capacity: 4096)
            writer.beginObject()
            writer.key("post")
            thread.post.write(to: &writer)
            writer.key("comments")
            writeComments(thread.comments, to: &writer)
            writePosition(thread.position, to: &writer)
            writer.endObject()
            return json(.ok, writer.bytes)
        }

        router.get("/v1/posts/:id/comments") { request, context in
            let user = try reader(context, runtime)
            let limit = try pageLimit(request, default: 500, maximum: 500)
            let after = request.uri.queryParameters.get("after")
            if let after { try TextRules.validateItemID(after, prefix: "c", field: "after") }
            let comments = try await runtime.store.comments(
                postID: try context.parameters.require("id"), after: after, limit: limit, reader: user?.id)
            var writer = JSONWriter(capacity: 4096)
            writer.beginObject()
            writer.key("comments")
            writeComments(comments, to: &writer)
            writer.endObject()
            return json(.ok, writer.bytes)
        }

        router.post("/v1/posts") { request, context in
            try await write(request, context, runtime, op: "post", extra: [:], status: .created)
        }
        router.post("/v1/posts/:id/comments") { request, context in
            try await write(request, context, runtime, op: "comment", extra: ["post_id": .string(try context.parameters.require("id"))], status: .created)
        }
        router.delete("/v1/posts/:id") { request, context in
            let id = try deletedID(context, kind: .post)
            return try await write(request, context, runtime, op: "delete", extra: ["target": .string(id)], status: .ok)
        }
        router.delete("/v1/comments/:id") { request, context in
            let id = try deletedID(context, kind: .comment)
            return try await write(request, context, runtime, op: "delete", extra: ["target": .string(id)], status: .ok)
        }

        router.get("/v1/personas") { request, context in
            // Readable without a token; a token that is sent was checked by TokenCheck.
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("personas")
            writer.beginArray()
            for persona in await runner.listing() {
                writer.separator()
                writer.beginObject()
                writer.field("id", persona.id)
                writer.field("name", persona.name)
                writer.field("bio", persona.bio)
                writer.key("user")
                persona.user.write(to: &writer)
                writer.field("state", persona.state)
                writer.field("stale", persona.stale)
                // File paths and parser messages are for admins (`/v1/admin/personas`), not the public.
                writer.field("error", persona.error == nil ? nil : "This persona's file has errors; an admin can see them.")
                writer.field("last_opened_at", persona.lastOpenedAt)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
            return json(.ok, writer.bytes)
        }

        AdminRoutes.add(to: router, runtime: runtime, runner: runner)
        DevLogin.add(to: router, runtime: runtime)
        // Reached only without an Upgrade header: upgrades are taken before the router.
        router.get(RouterPath(GatewayWebSocketUpgrader.path)) { _, _ in
            var response = ErrorMiddleware.response(for: .badRequest("\(GatewayWebSocketUpgrader.path) is the WebSocket endpoint; connect with a WebSocket client (Upgrade: websocket)."))
            response.status = .upgradeRequired
            response.headers[.upgrade] = "websocket"
            return response
        }
        routes.fill(from: router.routes)
        return router
    }

    // MARK: Helpers

    enum ItemKind: String {
        case post = "p", comment = "c"
    }

    /// The id of `DELETE /v1/posts/<id>` or `/v1/comments/<id>`. Each path deletes its own kind
    /// only, so the other kind's id is a mistake to report; any other id names nothing there and
    /// is not found, as the WebSocket `delete` of an unknown post or comment is.
    private static func deletedID(_ context: GatewayRequestContext, kind: ItemKind) throws -> String {
        let id = try context.parameters.require("id")
        let other: ItemKind = kind == .post ? .comment : .post
        if id.hasPrefix(other.rawValue + "_") {
            throw GatewayError.badRequest("\(id) is a \(other) id; delete it at /v1/\(other)s/\(id).")
        }
        guard id.hasPrefix(kind.rawValue + "_") else { throw GatewayError.notFound("There is no \(kind) \(id).") }
        return id
    }

    static func json(_ status: HTTPResponse.Status, _ bytes: [UInt8]) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private static func writePosition(_ position: StreamPosition, to writer: inout JSONWriter) {
        writer.field("offset", position.offset)
        writer.field("epoch", position.epoch)
    }

    private static func writeComments(_ comments: [Comment], to writer: inout JSONWriter) {
        writer.beginArray()
        for comment in comments {
            writer.separator()
            comment.write(to: &writer)
        }
        writer.endArray()
    }

    static func pageLimit(_ request: Request, default defaultLimit: Int, maximum: Int) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return defaultLimit }
        guard let limit = Int(text), (1...maximum).contains(limit) else {
            throw GatewayError.badRequest("limit must be a whole number from 1 to \(maximum).")
        }
        return limit
    }

    /// The user behind the request's bearer token, nil for an anonymous reader. A token that is
    /// present but invalid is always refused.
    private static func reader(_ context: GatewayRequestContext, _ runtime: GatewayRuntime) throws -> User? {
        let user = context.identity
        if user == nil && !runtime.configuration.allowAnonymous {
            throw GatewayError(.unauthorized, "This server needs a token to read; send Authorization: Bearer <token>.")
        }
        return user
    }

    /// Runs a write from an HTTP request through the same decoder and path as the WebSocket op.
    /// The request's body as a JSON object (an empty body is an empty object), with the
    /// protocol's errors for a body too large, not UTF-8 or not an object.
    static func jsonObject(_ request: Request, _ runtime: GatewayRuntime) async throws -> [String: JSONValue] {
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: runtime.configuration.maxMessageBytes)
        } catch {
            throw GatewayError(.tooLarge, "The request body is larger than \(runtime.configuration.maxMessageBytes) bytes.")
        }
        guard body.readableBytes > 0 else { return [:] }
        let valid = body.withUnsafeReadableBytes { UTF8Validation.isValid($0) }
        guard valid else { throw GatewayError.badRequest("The request body is not valid UTF-8.") }
        let parsed = try body.withUnsafeReadableBytes { bytes throws(GatewayError) in
            let document: JSONParser.Document
            do {
                document = try JSONParser.parseDocument(bytes)
            } catch {
                throw GatewayError.badRequest("The request body is not valid JSON (\(error)).")
            }
            guard document.loneSurrogateAt == nil else {
                throw GatewayError.badRequest("A string in the request body escapes a lone surrogate (like \"\\ud800\"), which is no character; send Unicode text.")
            }
            return document.value
        }
        guard case .object(let object) = parsed else { throw GatewayError.badRequest("The request body must be a JSON object.") }
        return object
    }

    private static func write(_ request: Request, _ context: GatewayRequestContext, _ runtime: GatewayRuntime, op: String, extra: [String: JSONValue],
                              status: HTTPResponse.Status) async throws -> Response {
        guard let user = context.identity else {
            throw GatewayError(.unauthorized, "Writing needs a token; send Authorization: Bearer <token>.")
        }
        var fields = try await jsonObject(request, runtime)
        fields.merge(extra) { _, path in path }
        fields["op"] = .string(op)
        fields["id"] = nil
        let message: ClientMessage
        do throws(ClientMessage.FrameError) {
            message = try ClientMessage.decode(.object(fields), maximumBodyScalars: runtime.configuration.maxBodyScalars)
        } catch {
            switch error {
            case .notAnObjectWithOp(let reason): throw GatewayError.badRequest(reason)
            case .invalidRequest(_, _, let error): throw error
            }
        }
        guard case .write(_, let command) = message else { throw GatewayError(.internal, "Unexpected request shape.") }
        let receipt = try await runtime.perform(command, by: user)
        return Response(
            status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: receipt.resultJSON)))
    }
}

/// Maps every error a route throws to the protocol's JSON error body and status.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as GatewayError {
            return Self.response(for: error)
        } catch let error as HTTPError {
            let code: ErrorCode =
                switch error.status.code {
                case 404: .notFound
                case 405: .badRequest
                case 413: .tooLarge
                case 401: .unauthorized
                case 403: .forbidden
                case 400..<500: .badRequest
                default: .internal
                }
            let message = error.status.code == 404 ? "There is nothing at \(request.uri.path)." : (error.body ?? error.status.reasonPhrase)
            var response = Self.response(for: GatewayError(code, message))
            response.status = error.status
            return response
        } catch {
            context.logger.error("Request failed: \(error)")
            return Self.response(for: GatewayError(.internal, "The server failed to answer this request."))
        }
    }

    static func response(for error: GatewayError) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter = error.retryAfterMilliseconds {
            headers[.retryAfter] = "\((retryAfter + 999) / 1000)"
        }
        return Response(
            status: .init(code: error.code.httpStatus), headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: HTTPErrorBody.encode(error))))
    }
}
