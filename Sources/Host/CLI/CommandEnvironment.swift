public import ArgumentParser
import Core
import Foundation
import Logging
import Metrics

/// Options every command that reads plugins.yaml shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "The plugins.yaml to use.")
    var config: String = "plugins.yaml"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Flag(
        help: ArgumentHelp(
            "Add exporter sources from the legacy environment (EXPORTER_SOURCES_JSON or EXPORTER_BASE_URL, "
                + "INTERNAL_SERVICE_TOKEN, COLLECT_INTERVAL); without a config file, DATABASE_URL is the ledger."))
    var legacyEnv = false
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Builds what commands hand to plugins: logger, metrics, clock, paths, environment.
enum CommandEnvironment {
    static func logger(label: String, level: Logger.Level) -> Logger {
        var logger = Logger(label: label) { name in StreamLogHandler.standardError(label: name) }
        logger.logLevel = level
        return logger
    }

    static func context(configFile: String, logger: Logger) -> PluginContext {
        let environment = ProcessInfo.processInfo.environment
        return PluginContext(
            logger: logger, metrics: NOOPMetricsHandler.instance, clock: SystemClock(),
            baseDirectory: ConfigLoader.baseDirectory(of: configFile),
            environment: { environment[$0] })
    }

    /// Loads and validates plugins.yaml, or fails with exit code 2 listing every problem.
    static func loadConfiguration(
        file: String, context: PluginContext, registry: PluginRegistry = .builtIn(), legacyEnvironment: Bool = false
    ) throws -> HostConfiguration {
        do {
            return try ConfigLoader(registry: registry).load(
                file: file, context: context, legacyEnvironment: legacyEnvironment)
        } catch {
            throw CommandFailure.usage("invalid configuration:\n\(error.description)")
        }
    }
}
