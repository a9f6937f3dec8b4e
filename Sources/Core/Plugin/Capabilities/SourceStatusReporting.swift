/// A source with more to tell an operator than its cursor and errors (the
/// VMs gone silent of a Connect source, say): `GET /v1/status` shows what
/// `statusDetails(now:)` returns under the source's `details`, so the daemon
/// shows it without knowing the source.
public protocol SourceStatusReporting: Sendable {
    /// Named facts about the source as of `now`, in the order to show them.
    func statusDetails(now: Timestamp) async -> [StatusDetail]
}

/// One named fact of a source's status.
public struct StatusDetail: Sendable, Hashable {
    /// snake_case, such as `stale_vms`.
    public var name: String
    public var value: Value

    /// A JSON-shaped value: a count, a flag, a text, or a list of texts.
    public enum Value: Sendable, Hashable {
        case integer(Int64)
        case bool(Bool)
        case string(String)
        case strings([String])
    }

    public init(_ name: String, _ value: Value) {
        self.name = name
        self.value = value
    }
}
