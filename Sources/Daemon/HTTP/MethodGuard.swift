import Hummingbird

/// Answers a request to a known path with a method it does not serve: 405 with
/// `Allow` listing the methods it does (RFC 9110 §15.5.6), and a request to an
/// unknown path: 404, both with the one JSON error body.
///
/// Exists because Hummingbird's router answers both with a bare 404, which
/// tells a client that used the wrong method nothing. The router runs its
/// middleware before it resolves a route (also for a path it does not know),
/// so this sees every request. A static path is looked up exactly; a path
/// with `{name}` segments (a push source's) is matched segment by segment.
struct MethodGuard: RouterMiddleware {
    typealias Context = BasicRequestContext

    /// Each served path and its methods, in the order the routes list them.
    let methods: [String: [String]]
    /// Routes with `{name}` segments, matched when no static path is.
    let patterns: [APIRoute]
    let metrics: DaemonMetrics

    init(routes: [APIRoute], metrics: DaemonMetrics) {
        var methods: [String: [String]] = [:]
        var patterns: [APIRoute] = []
        for route in routes {
            if route.path.contains("{") {
                patterns.append(route)
            } else if !(methods[route.path]?.contains(route.method) ?? false) {
                methods[route.path, default: []].append(route.method)
            }
        }
        self.methods = methods
        self.patterns = patterns
        self.metrics = metrics
    }

    /// The methods served at `path`, nil when none is.
    func allowed(at path: String) -> [String]? {
        if let exact = methods[path] { return exact }
        var found: [String] = []
        for route in patterns where route.matches(path: path) && !found.contains(route.method) {
            found.append(route.method)
        }
        return found.isEmpty ? nil : found
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        guard let allowed = allowed(at: path) else {
            return JSONResponse.error(.notFound, code: "not_found", "no such route: \(path)")
        }
        guard allowed.contains(request.method.rawValue) else {
            var response = JSONResponse.error(
                .methodNotAllowed, code: "method_not_allowed",
                "\(path) answers \(allowed.joined(separator: ", ")), not \(request.method.rawValue)")
            response.headers[.allow] = allowed.joined(separator: ", ")
            metrics.request(route: path, method: request.method.rawValue, status: 405, nanoseconds: 0)
            return response
        }
        return try await next(request, context)
    }
}
