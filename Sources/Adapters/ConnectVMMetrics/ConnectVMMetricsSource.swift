public import Core
public import Metrics

/// A `connect_vm_metrics` source: metald and the VM platform's collector call
/// it over Connect RPC on the daemon's listener (UPSTREAMS §4, §6, §7).
///
/// It has nothing to read on its own (its reader ends at once); each accepted
/// call becomes one batch sent through the source's pipeline with
/// `PushContext.submit`, and is answered only once durable. The query service
/// reads the pipeline's usage ledger.
public struct ConnectVMMetricsSource: ObservationSource {
    public let id: String
    public let metering: MeteringOptions
    public let settings: ConnectVMMetricsSettings
    /// The plugin context's clock (nil: the push context's).
    public let clock: (any WallClock)?
    /// Lifecycle, heartbeats and gaps between calls (see `VMActivity`).
    public let activity: VMActivity
    let metrics: (any MetricsFactory)?

    /// The Connect services served, by their full name.
    public static let billingService = "billing.v1.BillingService"
    public static let collectorService = "billing.v1.BillingCollectorService"
    public static let queryService = "billing.v1.BillingQueryService"

    public init(
        id: String, metering: MeteringOptions = MeteringOptions(window: ConnectVMMetricsSettings.defaultWindow),
        settings: ConnectVMMetricsSettings = .init(), clock: (any WallClock)? = nil,
        activity: VMActivity = VMActivity(), metrics: (any MetricsFactory)? = nil
    ) {
        self.id = id
        self.metering = metering
        self.settings = settings
        self.clock = clock
        self.activity = activity
        self.metrics = metrics
    }

    public func makeReader(from cursor: SourceCursor?) async throws -> any ObservationReader {
        ConnectVMMetricsReader()
    }

    var translator: VMObservations {
        VMObservations(source: id, window: metering.window, defaultRegion: settings.region)
    }
}

/// A push source has nothing to pull: its reader is drained from the start.
struct ConnectVMMetricsReader: ObservationReader {
    mutating func next() async throws -> ObservationBatch? { nil }
}
