/// A validated `xray_push` configuration.
public struct XrayPushSettings: Sendable, Hashable {
    /// A larger body is refused (HTTP 413) before it is decoded.
    public var maxBodyBytes: Int64
    /// A snapshot whose `env` differs rejects the whole body; `nil`: any env.
    public var expectedEnv: String?
    /// Only these `node_id`s may push; empty: any node.
    public var allowedNodeIDs: Set<String>

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
