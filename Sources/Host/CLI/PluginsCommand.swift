import ArgumentParser
import Core

/// `billing-service plugins`: the registered plugin types.
struct PluginsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "List the registered source and sink types.")

    func run() async throws {
        let registry = PluginRegistry.builtIn()
        let width = (registry.sourceTypes + registry.sinkTypes).map(\.count).max() ?? 0
        func pad(_ s: String) -> String { s + String(repeating: " ", count: width - s.count) }
        print("sources:")
        for factory in registry.sourceFactories { print("  \(pad(factory.type))  \(factory.summary)") }
        print("sinks:")
        for factory in registry.sinkFactories { print("  \(pad(factory.type))  \(factory.summary)") }
    }
}
