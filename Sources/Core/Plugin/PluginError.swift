/// An error a plugin reports, saying which component failed and whether retrying can help.
public struct PluginError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// A transient condition (connection refused, timeout, HTTP 5xx): retry with backoff.
        case retryable
        /// Retrying cannot help (malformed input, bad credentials, config mismatch).
        case permanent
    }

    public var kind: Kind
    /// `sources.<id>` or `sinks.<id>`.
    public var component: String
    public var message: String

    public init(_ kind: Kind, component: String, _ message: String) {
        self.kind = kind
        self.component = component
        self.message = message
    }

    public var isRetryable: Bool { kind == .retryable }

    public var description: String { "\(component): \(message)" }
}
