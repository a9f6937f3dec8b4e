import ArgumentParser
import Core

/// `billing-service validate`: checks plugins.yaml without touching any service.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check plugins.yaml (and the price book it names) and list every problem with its path and line.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let logger = CommandEnvironment.logger(label: "billing-service.validate", level: options.logLevel)
        let context = CommandEnvironment.context(configFile: options.config, logger: logger)
        let configuration = try CommandEnvironment.loadConfiguration(
            file: options.config, context: context, legacyEnvironment: options.legacyEnv)
        let sinks = Set(configuration.pipelines.flatMap { $0.sinks.map(\.id) })
        print(
            "\(configuration.file): valid (\(configuration.sources.count) sources, \(sinks.count) sinks, "
                + "\(configuration.pipelines.count) pipelines): "
                + configuration.sources.map(\.id).joined(separator: ", "))
    }
}
