public import Core
import Foundation
import Invoicing
import Rating
import YAMLConfig

/// Reads plugins.yaml, builds every component through the registry and checks
/// every cross reference, collecting all problems before reporting any.
///
/// Pure apart from reading the config and the price book files: nothing
/// connects to a service, opens a sink or reads a source.
public struct ConfigLoader: Sendable {
    public var registry: PluginRegistry

    public init(registry: PluginRegistry) { self.registry = registry }

    /// The directory relative paths in `file` resolve against.
    public static func baseDirectory(of file: String) -> String {
        let url = URL(fileURLWithPath: file)
        let dir = url.deletingLastPathComponent().path
        return dir.isEmpty ? "." : dir
    }

    /// Loads `file`; with `legacyEnvironment` (`run --legacy-env`) the legacy
    /// environment's sources are added to it, and when `file` does not exist the
    /// whole configuration comes from the environment (`LegacyEnvironment`).
    public func load(file: String, context: PluginContext, legacyEnvironment: Bool = false)
        throws(ConfigurationInvalid) -> HostConfiguration
    {
        var root: ConfigNode
        let fromEnvironment = legacyEnvironment && !FileManager.default.fileExists(atPath: file)
        let legacyTypes = registry.legacyEnvironment
        if fromEnvironment {
            guard let legacyTypes else {
                throw Self.invalid(
                    .init(variable: "--legacy-env", message: "this build has no legacy environment plugins"))
            }
            do { root = try LegacyEnvironment.document(environment: context.environment, types: legacyTypes) } catch {
                throw Self.invalid(error)
            }
        } else {
            do { root = try YAMLDocument.load(path: file) } catch { throw ConfigurationInvalid(errors: [error]) }
            if let legacyTypes {
                do {
                    root = try LegacyEnvironment.apply(
                        to: root, environment: context.environment, types: legacyTypes, force: legacyEnvironment)
                } catch { throw Self.invalid(error) }
            }
        }
        return try load(root: root, file: fromEnvironment ? "environment" : file, context: context)
    }

    public func load(root: ConfigNode, file: String, context: PluginContext) throws(ConfigurationInvalid)
        -> HostConfiguration
    {
        let diagnostics = ConfigDiagnostics()
        var otherErrors: [ConfigError] = []
        let top = ConfigMap(root, path: "", diagnostics: diagnostics)

        let version = top.integer("version", in: 1...1, required: true) ?? 1

        // Components, in document order.
        let sourceMap = top.map("sources", required: true)
        var sources: [(id: String, source: any ObservationSource)] = []
        var sourceTypes: [String: String] = [:]
        for id in sourceMap?.keys ?? [] {
            guard let entry = sourceMap?.map(id) else { continue }
            guard let type = entry.string("type", required: true) else {
                entry.finish()
                continue
            }
            guard let factory = registry.sourceFactory(type: type) else {
                entry.problem(
                    "type", "unknown source type \"\(type)\" (valid: \(registry.sourceTypes.joined(separator: ", ")))")
                continue
            }
            if let source = factory.makeSource(id: id, config: entry, context: context) {
                sources.append((id, source))
                sourceTypes[id] = type
            }
        }

        let sinkMap = top.map("sinks", required: true)
        var sinks: [(id: String, sink: any FactSink, type: String)] = []
        /// Every sink entry's declared type, including those whose config has problems.
        var declaredSinkTypes: [String: String] = [:]
        for id in sinkMap?.keys ?? [] {
            guard let entry = sinkMap?.map(id) else { continue }
            guard let type = entry.string("type", required: true) else {
                entry.finish()
                continue
            }
            guard let factory = registry.sinkFactory(type: type) else {
                entry.problem(
                    "type", "unknown sink type \"\(type)\" (valid: \(registry.sinkTypes.joined(separator: ", ")))")
                continue
            }
            declaredSinkTypes[id] = type
            if let sink = factory.makeSink(id: id, config: entry, context: context) {
                sinks.append((id, sink, type))
            }
        }
        let definedSources = Set(sourceMap?.keys ?? [])
        let definedSinks = Set(sinkMap?.keys ?? [])

        // State store.
        var state = HostConfiguration.StateStoreChoice.file(path: context.resolve(path: "var/state"))
        if let stateMap = top.map("state") {
            // `file`, or the type of a sink that can keep the state (`StateStoreProviderFactory`).
            let storeTypes = registry.stateStoreTypes
            let store = stateMap.string("store") ?? "file"
            if store == "file" {
                let path = stateMap.string("path") ?? "var/state"
                state = .file(path: context.resolve(path: path))
            } else if storeTypes.contains(store) {
                let built = sinks.filter { $0.type == store }.map(\.id)
                // A sink of that type whose own entry has problems is reported there; saying
                // here that none exists would send the operator looking in the wrong place.
                let declared = declaredSinkTypes.filter { $0.value == store }.keys.sorted()
                if let named = stateMap.string("sink") {
                    if built.contains(named) {
                        state = .sink(id: named, type: store)
                    } else if declaredSinkTypes[named] == store {
                        // Invalid: its own problems say why.
                    } else {
                        stateMap.problem(
                            "sink", "\"\(named)\" is not a \(store) sink (\(store) sinks: \(Self.list(declared)))")
                    }
                } else if built.count == 1, let only = built.first, declared.count == 1 {
                    state = .sink(id: only, type: store)
                } else if declared.count == 1 {
                    // The only such sink is invalid: its own problems say why.
                } else {
                    stateMap.problem(
                        "store",
                        declared.isEmpty
                            ? "store: \(store) needs a sink of type \(store)"
                            : "several \(store) sinks: name one with state.sink")
                }
            } else {
                stateMap.problem(
                    "store", "unknown value \"\(store)\" (valid: \((["file"] + storeTypes).joined(separator: ", ")))")
            }
            stateMap.finish()
        }

        // Pricing.
        var pricing: PriceCatalog?
        if let rating = top.map("rating") {
            let plans = rating.string("plans").map { context.resolve(path: $0) }
            if let path = rating.string("price_book", required: true) {
                do {
                    pricing = try PricingLoader.load(path: context.resolve(path: path), plansPath: plans)
                } catch {
                    otherErrors.append(error)
                }
            }
            rating.finish()
        }

        // The daemon's section (validated here so `validate` reports its problems with the rest).
        let service = top.map("service").flatMap { ServiceSettings.decode($0) }

        // Pipelines.
        var pipelines: [HostConfiguration.Pipeline] = []
        var sourceOwner: [String: String] = [:]
        var sinkOwner: [String: String] = [:]
        let pipelineMap = top.map("pipelines", required: true)
        if let pipelineMap, pipelineMap.keys.isEmpty {
            pipelineMap.problem("at least one pipeline is required")
        }
        for id in pipelineMap?.keys ?? [] {
            guard let entry = pipelineMap?.map(id) else { continue }
            let sourceIDs = entry.stringList("sources", required: true) ?? []
            let sinkIDs = entry.stringList("sinks", required: true) ?? []
            entry.finish()
            if entry.has("sources"), sourceIDs.isEmpty { entry.problem("sources", "at least one source is required") }
            if entry.has("sinks"), sinkIDs.isEmpty { entry.problem("sinks", "at least one sink is required") }
            for sourceID in sourceIDs {
                if !definedSources.contains(sourceID) {
                    entry.problem(
                        "sources", "unknown source \"\(sourceID)\" (defined: \(Self.list(definedSources.sorted())))")
                } else if let owner = sourceOwner[sourceID] {
                    entry.problem(
                        "sources",
                        "source \"\(sourceID)\" already feeds pipeline \"\(owner)\" (a source has one cursor)")
                } else {
                    sourceOwner[sourceID] = id
                }
            }
            for sinkID in sinkIDs {
                if !definedSinks.contains(sinkID) {
                    entry.problem("sinks", "unknown sink \"\(sinkID)\" (defined: \(Self.list(definedSinks.sorted())))")
                } else if let owner = sinkOwner[sinkID] {
                    entry.problem(
                        "sinks",
                        "sink \"\(sinkID)\" is already written by pipeline \"\(owner)\" (a sink belongs to one pipeline)"
                    )
                } else {
                    sinkOwner[sinkID] = id
                }
            }
            var pipelineSinks = sinkIDs.compactMap { sinkID in sinks.first { $0.id == sinkID } }
            // The sink that also holds the state commits last, so every other sink is durable first.
            if case .sink(let stateSink, let storeType) = state {
                pipelineSinks =
                    pipelineSinks.filter { $0.id != stateSink } + pipelineSinks.filter { $0.id == stateSink }
                if pipelineSinks.contains(where: { $0.id == stateSink }) == false, !sinkIDs.isEmpty {
                    entry.problem(
                        "sinks",
                        "state.store is \(storeType) (sink \"\(stateSink)\"): every pipeline must write to it")
                }
            }
            pipelines.append(
                .init(
                    id: id,
                    sources: sourceIDs.compactMap { sourceID in sources.first { $0.id == sourceID }?.source },
                    sinks: pipelineSinks.map(\.sink)))
        }
        var invoicing = InvoicingSection()
        if let section = top.map("invoicing") {
            invoicing = InvoicingSection.decode(
                section, sinks: sinks, sinkOwner: sinkOwner, context: context, errors: &otherErrors)
        } else {
            invoicing.usageTrail = InvoicingSection.onlyUsageTrail(sinks: sinks, sinkOwner: sinkOwner)
        }
        if service?.invoicing != nil,
            pricing == nil || !sinks.contains(where: { $0.sink is any InvoiceStoreProvider }),
            let schedule = top.map("service")?.map("invoicing")
        {
            schedule.problem("needs a sink that keeps invoices (postgres) and rating.price_book")
        }
        top.finish()

        let problems = diagnostics.problems.sorted { ($0.line, $0.path) < ($1.line, $1.path) }
        if !problems.isEmpty {
            otherErrors.insert(ConfigError(file: file, problems: problems), at: 0)
        }
        guard otherErrors.isEmpty else { throw ConfigurationInvalid(errors: otherErrors) }
        return HostConfiguration(
            file: file, version: version, state: state, pricing: pricing, pipelines: pipelines, sources: sources,
            sourceTypes: sourceTypes, service: service,
            invoicing: invoicing, sinksByID: Dictionary(sinks.map { ($0.id, $0.sink) }, uniquingKeysWith: { a, _ in a })
        )
    }

    /// A legacy environment problem, reported like a config file's (named by variable, no line).
    static func invalid(_ error: LegacyEnvironment.Invalid) -> ConfigurationInvalid {
        ConfigurationInvalid(errors: [
            ConfigError(
                file: "environment", problems: [ConfigProblem(path: error.variable, line: 0, message: error.message)])
        ])
    }

    static func list(_ names: [String]) -> String {
        names.isEmpty ? "none" : names.joined(separator: ", ")
    }
}
