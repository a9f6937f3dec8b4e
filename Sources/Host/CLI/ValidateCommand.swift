import ArgumentParser
import Core

/// `billing-service validate`: checks plugins.yaml without touching any service
/// (it reads the files and variables the config names: the price book, the tokens).
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
        // `serve` reads every token at start and refuses to start without one, so a
        // missing variable or file, or a value too short, is invalid configuration here too.
        let unreadable = Self.unreadableTokens(configuration.service?.tokens ?? [], context: context)
        if !unreadable.isEmpty {
            throw CommandFailure.usage(
                "invalid configuration:\n" + unreadable.map { "\(configuration.file): \($0)" }.joined(separator: "\n"))
        }
        let sinks = Set(configuration.pipelines.flatMap { $0.sinks.map(\.id) })
        print(
            "\(configuration.file): valid (\(configuration.sources.count) sources, \(sinks.count) sinks, "
                + "\(configuration.pipelines.count) pipelines): "
                + configuration.sources.map(\.id).joined(separator: ", "))
    }

    /// Why each token that `serve` could not read fails (id and where it was looked for, never a value).
    static func unreadableTokens(_ tokens: [ServiceSettings.Token], context: PluginContext) -> [String] {
        tokens.compactMap { token -> String? in
            do {
                _ = try token.value(context: context)
                return nil
            } catch {
                return "\(error)"
            }
        }
    }
}
