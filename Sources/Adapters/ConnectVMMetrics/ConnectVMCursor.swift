public import Core

/// The committed position of a `connect_vm_metrics` source: the latest reading
/// instant accepted (never moves back), so `/v1/status` shows how current it is.
public struct ConnectVMCursor: Codable, Sendable, Hashable {
    public var latest: Timestamp

    public init(latest: Timestamp) { self.latest = latest }
}
