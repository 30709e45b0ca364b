import GatewayProtocol
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// The methods each route path answers, filled once every route is registered.
final class RouteTable: Sendable {
    private let routes = Mutex<[(components: [Substring], methods: [HTTPRequest.Method])]>([])

    func fill(from descriptions: [Router<GatewayRequestContext>.RouteDescription]) {
        var byPath: [String: [HTTPRequest.Method]] = [:]
        for route in descriptions { byPath[route.path.description, default: []].append(route.method) }
        routes.withLock { routes in
            routes = byPath.map { (path, methods) in (path.split(separator: "/"), methods) }
        }
    }

    /// The methods a path answers (captures, `:id` or `{id}`, match any one component).
    func methods(for path: String) -> [HTTPRequest.Method] {
        let components = path.split(separator: "/")
        return routes.withLock { routes in
            routes.filter { route in
                route.components.count == components.count
                    && zip(route.components, components).allSatisfy { pattern, part in pattern.hasPrefix(":") || pattern.hasPrefix("{") || pattern == part }
            }.flatMap(\.methods)
        }
    }
}

/// A path that exists, asked with a method it does not answer: 405 with `Allow`, not 404.
struct MethodNotAllowed: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let table: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = table.methods(for: request.uri.path)
            guard !allowed.isEmpty, !allowed.contains(request.method) else { throw error }
            // The router answers HEAD wherever it answers GET.
            let names = Set(allowed.map(\.rawValue) + (allowed.contains(.get) ? ["HEAD"] : [])).sorted().joined(separator: ", ")
            var response = ErrorMiddleware.response(for: .badRequest("\(request.uri.path) answers \(names), not \(request.method.rawValue)."))
            response.status = .methodNotAllowed
            response.headers[.allow] = names
            return response
        }
    }
}
