public import Core
import Foundation

/// One endpoint of the daemon's HTTP API: the daemon's own (`builtIn`) and
/// those the configured push sources declare. docs/openapi.yaml must list
/// every one of them (a test compares), and the router is built from them.
public struct APIRoute: Sendable, Hashable {
    public var method: String
    /// A path; a segment `{name}` matches any one segment.
    public var path: String
    /// The scope a bearer token needs; `nil`: open (probes, metrics, a push source's health route).
    public var scope: AccessScope?
    /// Set for a route a push source declared.
    public var push: PushRoute?

    public init(method: String, path: String, scope: AccessScope?, push: PushRoute? = nil) {
        self.method = method
        self.path = path
        self.scope = scope
        self.push = push
    }

    /// The route a push source declared.
    public init(push route: PushRoute) {
        self.init(method: route.method, path: route.path, scope: route.scope, push: route)
    }

    /// Open daemon routes move to `service.probe_listen` when it is configured
    /// (a push source's open route stays on the API listener).
    public var isProbe: Bool { scope == nil && push == nil }

    public static let healthz = APIRoute(method: "GET", path: "/healthz", scope: nil)
    public static let readyz = APIRoute(method: "GET", path: "/readyz", scope: nil)
    public static let metrics = APIRoute(method: "GET", path: "/metrics", scope: nil)
    public static let status = APIRoute(method: "GET", path: "/v1/status", scope: .read)
    public static let usage = APIRoute(method: "GET", path: "/v1/usage", scope: .read)
    /// `/v1/usage` on the path the NestJS deployment's gateway exposes (UPSTREAMS §8).
    public static let billingUsage = APIRoute(method: "GET", path: "/v1/billing/usage", scope: .read)
    public static let collect = APIRoute(method: "POST", path: "/v1/jobs/collect", scope: .admin)
    public static let reconcile = APIRoute(method: "POST", path: "/v1/jobs/reconcile", scope: .admin)

    /// The daemon's own routes, whatever the configuration.
    public static let builtIn: [APIRoute] =
        [
            healthz, readyz, metrics, status, usage, billingUsage, collect, reconcile,
        ] + invoicing

    /// The path's segments, for matching a request path.
    var segments: [Substring] { path.split(separator: "/", omittingEmptySubsequences: false) }

    /// Whether `requestPath` is this route's path (`{name}` segments match any one segment).
    func matches(path requestPath: String) -> Bool {
        let pattern = segments
        let given = requestPath.split(separator: "/", omittingEmptySubsequences: false)
        guard pattern.count == given.count else { return false }
        for (p, g) in zip(pattern, given) where !(p.hasPrefix("{") && p.hasSuffix("}")) && p != g {
            return false
        }
        return true
    }

    /// The values of the `{name}` segments in `requestPath`.
    func parameters(in requestPath: String) -> [String: String] {
        var out: [String: String] = [:]
        let given = requestPath.split(separator: "/", omittingEmptySubsequences: false)
        for (p, g) in zip(segments, given) where p.hasPrefix("{") && p.hasSuffix("}") {
            out[String(p.dropFirst().dropLast())] = String(g).removingPercentEncoding ?? String(g)
        }
        return out
    }

    /// The path in the router's syntax (`{name}` → `:name`).
    var routerPath: String {
        segments.map { $0.hasPrefix("{") && $0.hasSuffix("}") ? ":" + $0.dropFirst().dropLast() : $0 }
            .joined(separator: "/")
    }
}
