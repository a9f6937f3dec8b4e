import ArgumentParser
import Core
import Foundation
import Logging
import Rating

/// `billing-service run`: runs every pipeline of plugins.yaml.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the pipelines of plugins.yaml; with finite sources, exit 0 once they are drained.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let logger = CommandEnvironment.logger(label: "billing-service", level: options.logLevel)
        let context = CommandEnvironment.context(configFile: options.config, logger: logger)
        let configuration = try CommandEnvironment.loadConfiguration(
            file: options.config, context: context, legacyEnvironment: options.legacyEnv)
        // A refusal no retry can cure (wrong password, unknown role or database)
        // fails the command now instead of being retried for ever; every sink
        // whose dependency can refuse says so through `ReadinessReporting`.
        for sink in configuration.pipelines.flatMap(\.sinks).compactMap({ $0 as? any ReadinessReporting }) {
            do {
                try await sink.checkNotRefused(within: .seconds(2))
            } catch {
                throw CommandFailure.runtime("\(error)")
            }
        }
        let host = PipelineHost(configuration: configuration, context: context, progress: .forTerminal())
        let results = await host.runAll()
        var failed = false
        for result in results {
            switch result {
            case .success(let summary):
                print(summary.text)
                if !summary.failures.isEmpty { failed = true }
            case .failure(let failure):
                failed = true
                BillingServiceMain.printError("pipeline \(failure.pipeline) failed: \(failure.message)")
            }
        }
        if failed { throw ExitCode(1) }
    }
}
