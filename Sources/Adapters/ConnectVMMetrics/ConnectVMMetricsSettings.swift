public import Core

/// A validated `connect_vm_metrics` configuration.
public struct ConnectVMMetricsSettings: Sendable, Hashable {
    /// A larger request body (or one that inflates larger) is refused with 413.
    public var maxBodyBytes: Int64
    /// The `region` dimension of metald batches, which carry none; nil: none.
    public var region: String?
    /// A VM that sends nothing for longer than this without a stop is stale.
    public var staleAfter: Duration

    /// metald sends one VM's minute (600 readings of 100 ms) per batch, a few
    /// hundred kilobytes in JSON; 16 MiB leaves room for collector batches of many VMs.
    public static let defaultMaxBodyBytes: Int64 = 16 << 20
    /// Five one-minute batches missed.
    public static let defaultStaleAfter: Duration = .seconds(5 * 60)
    /// metald sends what it just collected and retries for hours at most:
    /// 5 minutes of clock drift ahead, 72 hours behind.
    public static let defaultWindow = ObservationWindow(maxFutureSkew: .seconds(5 * 60), maxAge: .seconds(72 * 3600))

    public init(
        maxBodyBytes: Int64 = Self.defaultMaxBodyBytes, region: String? = nil,
        staleAfter: Duration = Self.defaultStaleAfter
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.region = region
        self.staleAfter = staleAfter
    }
}
