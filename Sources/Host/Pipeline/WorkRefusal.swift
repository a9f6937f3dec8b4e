import Core

/// Why a pipeline (or the daemon) refused work it was asked to do: not ready,
/// shutting down, or asked about something that does not exist.
public struct WorkRefusal: Error, Sendable, CustomStringConvertible {
    /// Which HTTP status the refusal maps to.
    public enum Kind: Sendable {
        /// Shutting down, or not ready yet: try again later (HTTP 503).
        case unavailable
        /// The request names something that does not exist (HTTP 404).
        case notFound
        /// The request is wrong (HTTP 400).
        case badRequest
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// Whether `error` would fail any batch now and a retry later may succeed
    /// (a sink or its database down, the pipeline not ready): the push answer's
    /// 503, and the group commit's "answer all, do not retry one by one".
    public static func isTransient(_ error: any Error) -> Bool {
        (error as? PluginError)?.isRetryable == true || (error as? WorkRefusal)?.kind == .unavailable
    }
}
