import Core
import Host
import Testing

/// One factory of the built-in registry, the unit every conformance test runs
/// for: a plugin registered later is a new case with no edit to the tests.
struct PluginCase: Sendable, CustomTestStringConvertible {
    enum Kind: String, Sendable {
        case source
        case sink
    }

    let kind: Kind
    /// The YAML `type:` name.
    let type: String

    var testDescription: String { "\(kind.rawValue) \(type)" }

    /// Every source and sink factory `PluginRegistry.builtIn()` holds.
    static let all: [PluginCase] = {
        let registry = PluginRegistry.builtIn()
        return registry.sourceTypes.map { PluginCase(kind: .source, type: $0) }
            + registry.sinkTypes.map { PluginCase(kind: .sink, type: $0) }
    }()

    /// What a factory made of one config entry.
    enum Made {
        case source(any ObservationSource)
        case sink(any FactSink)
    }

    /// Runs this plugin's factory on `entry` as ConfigLoader does (its `type:`
    /// read first); `nil` when the factory recorded a problem.
    func make(id: String, entry: ConfigMap, context: PluginContext) throws -> Made? {
        let registry = PluginRegistry.builtIn()
        _ = entry.string("type")
        switch kind {
        case .source:
            let factory = try #require(registry.sourceFactory(type: type))
            return factory.makeSource(id: id, config: entry, context: context).map(Made.source)
        case .sink:
            let factory = try #require(registry.sinkFactory(type: type))
            return factory.makeSink(id: id, config: entry, context: context).map(Made.sink)
        }
    }

    /// `sources` or `sinks`: the plugins.yaml section the entry belongs to.
    var section: String { kind == .source ? "sources" : "sinks" }
}
