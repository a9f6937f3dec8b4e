import ArgumentParser
import Core
import Invoicing
import Rating

/// `billing-service activity`: the activity spans recurring fees are prorated by.
struct ActivityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activity", abstract: "Activity spans (start/stop instants) that prorate recurring fees.",
        subcommands: [ActivityImportCommand.self])
}

/// `activity import --config F --file F`: the JSON-lines start/stop events
/// `rate --activity` reads, paired into spans and kept in the invoice store.
/// Importing the same file again changes nothing; a later file that closes an
/// open span closes it.
struct ActivityImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import start/stop events (JSON lines) as activity spans, idempotently.")

    @OptionGroup var options: InvoicingOptions

    @Option(help: "The JSON-lines file: {\"subject\", \"event\": \"start\"|\"stop\", \"time\", \"dimensions\"?}.")
    var file: String

    func run() async throws {
        let spans: [ActivitySpan]
        do {
            spans = try ActivityFile.read(path: file)
        } catch {
            throw CommandFailure.usage("cannot read activity: \(error)")
        }
        let output = try await options.with { store, _ in
            let result = try await store.importActivity(spans)
            return "\(spans.count) spans: \(result.inserted) added or closed, \(result.unchanged) unchanged\n"
        }
        print(output, terminator: "")
    }
}
