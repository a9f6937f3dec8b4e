public import ArgumentParser
import Core
import WireFormats

extension FixtureFormat: ExpressibleByArgument {}

/// `billing-service generate`: writes a generator source's observations as a replayable fixture.
///
/// Any source that adopts `FixtureWriting` can be asked; today that is the generator.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write the observations of a generator source as an xray_snapshots or vm_metrics fixture.")

    @OptionGroup var options: ConfigOptions

    @Option(help: "The id of a source of type generator in the config.")
    var source: String

    @Option(help: "The fixture file to write.")
    var out: String

    @Option(help: "Fixture format: xray_snapshots or vm_metrics.")
    var format: FixtureFormat = .xraySnapshots

    func run() async throws {
        let logger = CommandEnvironment.logger(label: "billing-service.generate", level: options.logLevel)
        let context = CommandEnvironment.context(configFile: options.config, logger: logger)
        let configuration = try CommandEnvironment.loadConfiguration(
            file: options.config, context: context, legacyEnvironment: options.legacyEnv)
        guard let entry = configuration.sources.first(where: { $0.id == source }) else {
            throw CommandFailure.usage(
                "no source \"\(source)\" in \(options.config) (sources: "
                    + configuration.sources.map(\.id).joined(separator: ", ") + ")")
        }
        guard let writer = entry.source as? any FixtureWriting else {
            throw CommandFailure.usage("source \"\(source)\" is not of type generator")
        }
        do {
            let summary = try writer.writeFixture(formatNamed: format.rawValue, to: out)
            print("wrote \(out): \(summary)")
        } catch {
            throw CommandFailure.runtime("generate: \(error)")
        }
    }
}
