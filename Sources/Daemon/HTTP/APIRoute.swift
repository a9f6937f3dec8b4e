public import Host

/// One endpoint of the daemon's HTTP API: the list docs/openapi.yaml must
/// match (a test compares them) and the one the router is built from.
public struct APIRoute: Sendable, Hashable {
    public var method: String
    public var path: String
    /// The scope a bearer token needs; `nil`: open (probes and metrics).
    public var scope: ServiceSettings.Scope?

    /// Open routes move to `service.probe_listen` when it is configured.
    public var isProbe: Bool { scope == nil }

    public static let healthz = APIRoute(method: "GET", path: "/healthz", scope: nil)
    public static let readyz = APIRoute(method: "GET", path: "/readyz", scope: nil)
    public static let metrics = APIRoute(method: "GET", path: "/metrics", scope: nil)
    public static let status = APIRoute(method: "GET", path: "/v1/status", scope: .read)
    public static let usage = APIRoute(method: "GET", path: "/v1/usage", scope: .read)
    public static let collect = APIRoute(method: "POST", path: "/v1/jobs/collect", scope: .admin)
    public static let reconcile = APIRoute(method: "POST", path: "/v1/jobs/reconcile", scope: .admin)
    public static let ingest = APIRoute(method: "POST", path: "/v1/ingest/snapshots", scope: .ingest)

    public static let all: [APIRoute] = [healthz, readyz, metrics, status, usage, collect, reconcile, ingest]
}
