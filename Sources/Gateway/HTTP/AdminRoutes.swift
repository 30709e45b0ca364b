import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Persona
import GatewayProtocol

/// The admin API (role `admin` only; every other caller gets 401 or 403): personas (list, pause,
/// resume, decision log), sessions (count, list, kick) and a user's write limits. docs/admin.md
/// describes each endpoint.
enum AdminRoutes {
    static func add(to router: Router<GatewayRequestContext>, runtime: GatewayRuntime, runner: BotRunner) {
        router.get("/v1/admin/personas") { request, context in
            try admin(request, context)
            var writer = JSONWriter(capacity: 4096)
            writer.beginObject()
            writer.key("personas")
            writer.beginArray()
            let node = (runtime.store as? PostgresStore)?.bus.nodeID
            for row in await runner.adminListing() {
                writer.separator()
                writer.beginObject()
                writer.field("id", row.listing.id)
                writer.field("name", row.listing.name)
                writer.field("state", row.listing.state)
                writer.field("stale", row.listing.stale)
                writer.field("error", row.listing.error)
                writer.field("engine", row.engine)
                writer.field("model", row.model)
                writer.field("circuit_open", row.circuitOpen)
                writer.field("turns_in_flight", row.turnsInFlight)
                writer.field("owned_here", row.ownedHere)
                writer.field("tokens_today", row.tokensToday)
                if let cap = row.tokensPerDay { writer.field("max_tokens_per_day", cap) }
                writer.field("node", node)
                writer.field("last_opened_at", row.listing.lastOpenedAt)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
            return HTTPRoutes.json(.ok, writer.bytes)
        }
        router.post("/v1/admin/personas/:id/pause") { request, context in
            try await pause(request, context, runtime, runner, paused: true)
        }
        router.post("/v1/admin/personas/:id/resume") { request, context in
            try await pause(request, context, runtime, runner, paused: false)
        }
        router.get("/v1/admin/personas/:id/decisions") { request, context in
            try admin(request, context)
            let id = try context.parameters.require("id")
            guard await runner.knows(id) else { throw GatewayError.notFound("There is no persona \(id).") }
            let limit = try HTTPRoutes.pageLimit(request, default: 100, maximum: 1000)
            guard let store = runtime.store as? any BotStore else { throw GatewayError(.internal, "This store keeps no decision log.") }
            return list("decisions", try await store.decisions(persona: id, limit: limit)) { writer, decision in
                writer.field("at", decision.at)
                writer.field("trigger", decision.trigger)
                writer.field("item_id", decision.itemID)
                writer.field("post_id", decision.postID)
                writer.field("outcome", decision.outcome)
                writer.field("rule", decision.rule)
                writer.field("detail", decision.detail)
                writer.field("situation", decision.situation)
            }
        }

        router.get("/v1/admin/flags") { request, context in
            try moderator(request, context)
            let limit = try HTTPRoutes.pageLimit(request, default: 100, maximum: 1000)
            guard let store = runtime.store as? any BotStore else { throw GatewayError(.internal, "This store keeps no moderation flags.") }
            return list("flags", try await store.flags(limit: limit)) { writer, flag in
                writer.field("at", flag.at)
                writer.field("reason", flag.reason.rawValue)
                writer.field("situation", flag.situation)
                writer.field("item_id", flag.itemID)
                writer.field("post_id", flag.postID)
                writer.field("text", flag.text)
                writer.field("persona", flag.persona.isEmpty ? nil : flag.persona)
                writer.field("bot_action", flag.botAction)
                writer.field("rule", flag.rule.isEmpty ? nil : flag.rule)
            }
        }

        router.get("/v1/admin/sessions") { request, context in
            try admin(request, context)
            let limit = try HTTPRoutes.pageLimit(request, default: 100, maximum: 10_000)
            let user = request.uri.queryParameters.get("user")
            let counts = runtime.sessions.countsByState()
            var writer = JSONWriter(capacity: 8192)
            writer.beginObject()
            writer.field("count", counts.values.reduce(0, +))
            writer.key("by_state")
            writer.beginObject()
            for state in SessionRegistry.State.allCases { writer.field(state.rawValue, counts[state] ?? 0) }
            writer.endObject()
            writer.key("sessions")
            writer.beginArray()
            for session in runtime.sessions.list(userID: user, limit: limit) {
                writer.separator()
                writer.beginObject()
                writer.field("id", session.id)
                writer.field("state", session.state.rawValue)
                writer.field("user_id", session.userID)
                writer.field("connected_at", session.connectedAt)
                writer.field("remote_address", session.remoteAddress)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
            return HTTPRoutes.json(.ok, writer.bytes)
        }
        router.post("/v1/admin/sessions/:id/kick") { request, context in
            try admin(request, context)
            let id = try context.parameters.require("id")
            let closed = runtime.sessions.close(where: { $0.id == id }, .closedByAdmin)
            guard closed > 0 else { throw GatewayError.notFound("There is no open session \(id).") }
            return kicked(closed)
        }
        router.post("/v1/admin/users/:id/kick") { request, context in
            try admin(request, context)
            let id = try context.parameters.require("id")
            return kicked(runtime.sessions.close(where: { $0.userID == id }, .closedByAdmin))
        }
        router.get("/v1/admin/users/:id/limits") { request, context in
            try admin(request, context)
            let id = try context.parameters.require("id")
            var writer = JSONWriter(capacity: 512)
            writer.beginObject()
            writer.field("user_id", id)
            writer.key("limits")
            writer.beginObject()
            for limit in runtime.writeLimiter.state(of: id) {
                writer.key(limit.name)
                writer.beginObject()
                writer.field("per_minute", limit.perMinute)
                writer.field("available", limit.available)
                writer.field("retry_after_ms", limit.retryAfterMilliseconds)
                writer.endObject()
            }
            writer.endObject()
            writer.endObject()
            return HTTPRoutes.json(.ok, writer.bytes)
        }
    }

    /// Refuses every caller but an admin: 401 without a valid token, 403 with another role.
    static func admin(_ request: Request, _ context: GatewayRequestContext) throws {
        guard let user = context.identity else {
            throw GatewayError(.unauthorized, "Admin endpoints need an admin token; send Authorization: Bearer <token>.")
        }
        guard user.role == .admin else { throw GatewayError.forbidden("Only admins may use \(request.uri.path).") }
    }

    /// Refuses every caller but a moderator or an admin: what the bots flagged is theirs to read.
    static func moderator(_ request: Request, _ context: GatewayRequestContext) throws {
        guard let user = context.identity else {
            throw GatewayError(.unauthorized, "Moderation flags need a moderator or admin token; send Authorization: Bearer <token>.")
        }
        guard user.role == .admin || user.role == .moderator else { throw GatewayError.forbidden("Only moderators and admins may read \(request.uri.path).") }
    }

    private static func pause(_ request: Request, _ context: GatewayRequestContext, _ runtime: GatewayRuntime, _ runner: BotRunner,
                              paused: Bool) async throws -> Response {
        try admin(request, context)
        let id = try context.parameters.require("id")
        guard await runner.knows(id) else { throw GatewayError.notFound("There is no persona \(id).") }
        try await runner.setPaused(id, paused)
        return HTTPRoutes.json(.ok, Array("{}".utf8))
    }

    /// `{"<key>": [{…}, …]}`, one object per item.
    private static func list<Item>(_ key: String, _ items: [Item], _ write: (inout JSONWriter, Item) -> Void) -> Response {
        var writer = JSONWriter(capacity: 8192)
        writer.beginObject()
        writer.key(key)
        writer.beginArray()
        for item in items {
            writer.separator()
            writer.beginObject()
            write(&writer, item)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return HTTPRoutes.json(.ok, writer.bytes)
    }

    private static func kicked(_ count: Int) -> Response {
        var writer = JSONWriter(capacity: 32)
        writer.beginObject()
        writer.field("closed", count)
        writer.endObject()
        return HTTPRoutes.json(.ok, writer.bytes)
    }
}
