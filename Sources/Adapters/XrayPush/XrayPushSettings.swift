public import Core

/// A validated `xray_push` configuration.
public struct XrayPushSettings: Sendable, Hashable {
    /// A larger body is refused (HTTP 413) before it is decoded.
    public var maxBodyBytes: Int64
    /// A snapshot whose `env` differs rejects the whole body; `nil`: any env.
    public var expectedEnv: String?
    /// Only these `node_id`s may push; empty: any node.
    public var allowedNodeIDs: Set<String>

    /// The clock window unless `max_future_skew`/`max_age` say otherwise: an
    /// exporter pushes what it just collected, 5 minutes covers clock drift, and it
    /// keeps 72 h (UPSTREAMS §1), so nothing it could resend is older than that.
    public static let defaultWindow = ObservationWindow(maxFutureSkew: .seconds(5 * 60), maxAge: .seconds(72 * 3600))

    /// UPSTREAMS §2: bodies are up to 32 MiB.
    public static let defaultMaxBodyBytes: Int64 = 32 << 20

    public init(
        maxBodyBytes: Int64 = Self.defaultMaxBodyBytes, expectedEnv: String? = nil, allowedNodeIDs: Set<String> = []
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.expectedEnv = expectedEnv
        self.allowedNodeIDs = allowedNodeIDs
    }
}
