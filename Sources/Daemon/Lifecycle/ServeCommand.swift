public import ArgumentParser
import Core
import Foundation
import Host
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// `billing-service serve`: the long-running daemon.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the daemon: scheduled collection, push ingest, HTTP API and metrics (service: in plugins.yaml).",
        discussion: """
            SIGTERM/SIGINT: stop taking requests, drain and commit in-flight batches, close sinks and the database, \
            exit 0 (within service.shutdown_grace, default 30s; a drain cut off by it exits 1). \
            A second signal exits 130 at once. \
            Exit 2: invalid configuration or an unreadable token; 1: the daemon failed, or a ledger database \
            refused its credentials or database name (SQLSTATE 28P01, 28000, 3D000: never retried).
            """)

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case json, text
    }

    /// How long the start-up check of each ledger database's credentials may
    /// take; a server that does not answer by then is waited for as usual.
    static let credentialCheckTimeout = Duration.seconds(2)

    @Option(name: .long, help: "The plugins.yaml to use.")
    var config: String = "plugins.yaml"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(name: .long, help: "json (one object a line, the default) or text (for humans).")
    var logFormat: LogFormat = .json

    func run() async throws {
        var logger = Logger(label: "billing-service") { [logFormat] label in
            switch logFormat {
            case .json: JSONLogHandler(label: label)
            case .text: StreamLogHandler.standardError(label: label)
            }
        }
        logger.logLevel = logLevel
        let registry = PrometheusCollectorRegistry()
        var metrics = PrometheusMetricsFactory(registry: registry)
        metrics.valueHistogramBuckets["billing_batch_facts"] = DaemonMetrics.batchFactBuckets
        let environment = ProcessInfo.processInfo.environment
        let context = PluginContext(
            logger: logger, metrics: metrics, clock: SystemClock(),
            baseDirectory: ConfigLoader.baseDirectory(of: config), environment: { environment[$0] })
        let configuration: HostConfiguration
        do {
            configuration = try ConfigLoader(registry: .builtIn()).load(file: config, context: context)
        } catch {
            throw CommandFailure.usage("invalid configuration:\n\(error.description)")
        }
        let daemon: BillingDaemon
        do {
            daemon = try BillingDaemon(
                configuration: configuration, context: context, registry: registry, logger: logger)
        } catch {
            throw CommandFailure.usage("\(config): \(error)")
        }
        logger.info(
            "starting",
            metadata: [
                "config": "\(config)", "pipelines": "\(configuration.pipelines.count)",
                "sources": "\(daemon.roster.sources.count)", "tokens": "\(daemon.settings.tokens.count)",
            ])
        if daemon.settings.tokens.isEmpty {
            logger.warning("service.tokens is empty: only /healthz, /readyz and /metrics can be called")
        }
        // A refusal no retry can cure (wrong password, unknown role or database)
        // ends the daemon now instead of being retried for ever.
        for dependency in daemon.readiness {
            do {
                try await dependency.checkNotRefused(within: Self.credentialCheckTimeout)
            } catch {
                logger.critical(
                    "a sink's database refused the connection",
                    metadata: ["dependency": "\(dependency.readinessName)", "error": "\(error)"])
                throw CommandFailure.runtime("\(error)")
            }
        }
        let group = daemon.serviceGroup(signals: false)
        let signals = ShutdownSignals(grace: daemon.settings.shutdownGrace, logger: logger)
        let watcher = Task { await signals.watch(group) }
        defer { watcher.cancel() }
        do {
            try await group.run()
        } catch {
            logger.error("daemon stopped with an error", metadata: ["error": "\(error)"])
            throw CommandFailure.runtime("daemon stopped: \(error)")
        }
        if let took = signals.cutOff() {
            let message =
                "shutdown outlasted service.shutdown_grace (\(daemon.settings.shutdownGrace)) and was cut off "
                + "after \(took): work still in flight was cancelled (nothing of it was acknowledged)"
            logger.error("\(message)")
            throw CommandFailure.runtime(message)
        }
        logger.info("stopped cleanly")
    }
}

/// `billing-service` with every command of the host plus `serve`.
public struct BillingServiceDaemonCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "billing-service",
        abstract: BillingServiceCommand.configuration.abstract,
        discussion: BillingServiceCommand.configuration.discussion,
        subcommands: BillingServiceCommand.configuration.subcommands + [ServeCommand.self])

    public init() {}
}
