public import ArgumentParser
import Core
import Foundation
import Logging

/// Where a database command finds its database: `--database-url`, or a postgres
/// sink of plugins.yaml (its `database_url_env`/`database_url_file`).
///
/// The ledger comes from a sink that adopts `LedgerAdministrationProvider`, or
/// from the sink type that opens one from a URL (`LedgerAdministrationFactory`).
struct DatabaseOptions: ParsableArguments {
    @Option(help: "postgres://user@host:port/db?sslmode=disable|require|verify-full (or set DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "Take the database from a postgres sink of this plugins.yaml instead.")
    var config: String?

    @Option(help: "With --config: the postgres sink's id (default: the only one).")
    var sink: String?

    @Option(help: "Log level.")
    var logLevel: Logger.Level = .warning

    /// Opens the ledger, or fails with exit code 2 saying what is missing.
    func ledger(registry: PluginRegistry = .builtIn()) throws -> any LedgerAdministration {
        let logger = CommandEnvironment.logger(label: "billing-service.db", level: logLevel)
        if let config {
            let context = CommandEnvironment.context(configFile: config, logger: logger)
            let configuration = try CommandEnvironment.loadConfiguration(
                file: config, context: context, registry: registry)
            let sinks = configuration.pipelines.flatMap(\.sinks).compactMap { $0 as? any LedgerAdministrationProvider }
            let chosen = sinks.filter { sink == nil || $0.id == sink }
            guard chosen.count == 1, let only = chosen.first else {
                throw CommandFailure.usage(
                    "\(config): \(chosen.isEmpty ? "no" : "several") postgres sinks"
                        + (sink.map { " named \($0)" } ?? "") + "; name one with --sink")
            }
            do {
                return try only.ledgerAdministration()
            } catch {
                throw CommandFailure.usage("\(error)")
            }
        }
        guard let text = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"], !text.isEmpty else {
            throw CommandFailure.usage("give --database-url URL, --config FILE, or set DATABASE_URL")
        }
        do {
            return try registry.ledgerAdministration(databaseURL: text, logger: logger)
        } catch {
            throw CommandFailure.usage("--database-url: \(error)")
        }
    }
}

/// `billing-service migrate`: applies the missing schema migrations in a transaction.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the missing ledger schema migrations (and create month partitions ahead).")

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Only report whether the database is current; exit 1 when it is behind.")
    var check = false

    func run() async throws {
        let ledger = try database.ledger()
        do {
            try await ledger.requireAcceptance(component: "database", within: .seconds(2))
            if check {
                let status = try await ledger.schemaStatus()
                print("schema version \(status.version); pending \(status.pending); unknown \(status.unknown)")
                await ledger.shutdown()
                if !status.isCurrent { throw ExitCode(1) }
                return
            }
            let applied = try await ledger.migrate(now: SystemClock().now())
            print(
                applied.isEmpty
                    ? "schema is current" : "applied migrations \(applied.map(String.init).joined(separator: ", "))")
        } catch let exit as ExitCode {
            throw exit
        } catch {
            await ledger.shutdown()
            throw CommandFailure.runtime("migrate: \(error)")
        }
        await ledger.shutdown()
    }
}

extension UsageGranularity: ExpressibleByArgument {}
extension UsageFormat: ExpressibleByArgument {}

/// `billing-service usage`: sums the ledger's minute totals.
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage", abstract: "Usage and amounts from the ledger's minute totals.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Only this subject (default: all).")
    var subject: String?

    @Option(help: "Start, RFC 3339 (inclusive).")
    var from: String

    @Option(help: "End, RFC 3339 (exclusive).")
    var to: String

    @Option(help: "minute, hour, day or month.")
    var granularity: UsageGranularity = .hour

    @Option(help: "Only this metric.")
    var metric: String?

    @Option(help: "table, json or csv.")
    var format: UsageFormat = .table

    func run() async throws {
        guard let start = Timestamp(rfc3339: from), let end = Timestamp(rfc3339: to) else {
            throw CommandFailure.usage("--from and --to must be RFC 3339 timestamps")
        }
        guard start < end else { throw CommandFailure.usage("--from must be before --to") }
        let ledger = try database.ledger()
        let query = UsageQuery(subject: subject, metric: metric, from: start, to: end, granularity: granularity)
        do {
            let rows = try await ledger.usageRows(query)
            await ledger.shutdown()
            let output = UsageReport.render(rows, format: format)
            print(output, terminator: output.hasSuffix("\n") ? "" : "\n")
        } catch {
            await ledger.shutdown()
            throw CommandFailure.runtime("usage: \(error)")
        }
    }
}
