import ArgumentParser
import Core
import Foundation
import Logging

/// `billing-service collect`: one catch-up collection of every `exporter_pull`
/// source (or the named ones), committed, for cron-style deployments and tests.
struct CollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Pull every exporter_pull source once (catching up to now minus the settle delay), commit, exit.",
        discussion:
            "Exit 0 when every source succeeded, 1 when any failed (each named with its reason); what succeeded stays committed."
    )

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: "Collect only this source (repeatable).")
    var source: [String] = []

    func run() async throws {
        let logger = CommandEnvironment.logger(label: "billing-service", level: options.logLevel)
        let context = CommandEnvironment.context(configFile: options.config, logger: logger)
        var configuration = try CommandEnvironment.loadConfiguration(
            file: options.config, context: context, legacyEnvironment: options.legacyEnv)
        // The sources `collect` pulls: those with a schedule of their own (`ScheduledSource`).
        let pullIDs = configuration.sources.filter { $0.source is any ScheduledSource }.map(\.id)
        guard !pullIDs.isEmpty else {
            throw CommandFailure.usage(
                "\(options.config) defines no scheduled source (one with its own interval, such as an exporter pull)")
        }
        let types = Set(pullIDs.compactMap { configuration.sourceTypes[$0] }).sorted()
        let kind = types.count == 1 ? "\(Self.article(types[0])) \(types[0]) source" : "a scheduled source"
        for id in source where !pullIDs.contains(id) {
            throw CommandFailure.usage(
                "--source \(id) is not \(kind) (those are: \(pullIDs.joined(separator: ", ")))")
        }
        let selected = Set(source.isEmpty ? pullIDs : source)
        configuration.pipelines = configuration.pipelines.compactMap { pipeline in
            var pipeline = pipeline
            pipeline.sources = pipeline.sources.compactMap { source -> (any ObservationSource)? in
                guard let pull = source as? any ScheduledSource, selected.contains(pull.id) else { return nil }
                return pull.oneCollection()
            }
            return pipeline.sources.isEmpty ? nil : pipeline
        }
        let host = PipelineHost(configuration: configuration, context: context, progress: nil)
        var failed = false
        for result in await host.runAll() {
            switch result {
            case .success(let summary):
                print(summary.text)
                for (id, message) in summary.failures.sorted(by: { $0.key < $1.key }) {
                    failed = true
                    BillingServiceMain.printError("source \(id) failed: \(message)")
                }
            case .failure(let failure):
                failed = true
                BillingServiceMain.printError("pipeline \(failure.pipeline) failed: \(failure.message)")
            }
        }
        if failed { throw ExitCode(1) }
    }

    static func article(_ word: String) -> String {
        word.first.map { "aeiou".contains($0) } == true ? "an" : "a"
    }
}
