public import Core

/// Builds `connect_vm_metrics` sources: metald's and the VM platform's Connect
/// RPC services (UPSTREAMS §4, §6, §7) served on the daemon's listener.
public struct ConnectVMMetricsFactory: SourceFactory {
    public init() {}

    public var type: String { "connect_vm_metrics" }

    public var summary: String {
        "Serves billing.v1 BillingService (metald), BillingCollectorService and BillingQueryService over Connect RPC"
    }

    public func makeSource(id: String, config: ConfigMap, context: PluginContext) -> (any ObservationSource)? {
        guard let (settings, metering) = Self.decode(config) else { return nil }
        return ConnectVMMetricsSource(
            id: id, metering: metering, settings: settings, clock: context.clock, metrics: context.metrics)
    }

    /// Decodes and validates one `sources.<id>` entry; `nil` when any problem was recorded.
    public static func decode(_ config: ConfigMap) -> (ConnectVMMetricsSettings, MeteringOptions)? {
        let before = config.diagnostics.problems.count
        let maxBody = config.size("max_body_bytes") ?? ConnectVMMetricsSettings.defaultMaxBodyBytes
        let region = config.string("region")
        let staleAfter =
            config.duration("stale_after", minimum: .seconds(1)) ?? ConnectVMMetricsSettings.defaultStaleAfter
        config.declare(MeteringOptions.configKeys)
        let metering = MeteringOptions.read(from: config, window: ConnectVMMetricsSettings.defaultWindow)
        config.finish()
        if maxBody < 1024 || maxBody > 1 << 30 {
            config.problem("max_body_bytes", "must be between 1KiB and 1GiB")
        }
        if let region {
            if region.isEmpty {
                config.problem("region", "must not be empty (omit it for no region)")
            } else if let violation = LabelRules.violation(in: region, field: .dimensionValue) {
                config.problem("region", "\(violation)")
            }
        }
        guard config.diagnostics.problems.count == before else { return nil }
        return (ConnectVMMetricsSettings(maxBodyBytes: maxBody, region: region, staleAfter: staleAfter), metering)
    }
}
