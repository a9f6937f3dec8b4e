public import Core
public import Logging
public import Metrics

extension PluginContext {
    /// What tests hand a factory or a plugin: a quiet logger, no metrics, a
    /// fixed clock, and an environment of exactly `environment` (the process's
    /// own is never read, so a developer's shell cannot change a result).
    public static func testing(
        clock: any WallClock = FixedClock(Timestamp(secondsSinceEpoch: 1_793_491_200)),
        baseDirectory: String = ".", environment: [String: String] = [:],
        logger: Logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
        metrics: any MetricsFactory = NOOPMetricsHandler.instance
    ) -> PluginContext {
        PluginContext(
            logger: logger, metrics: metrics, clock: clock, baseDirectory: baseDirectory,
            environment: { environment[$0] })
    }
}
