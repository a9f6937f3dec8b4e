public import Core

/// The plugin types a host can build, by YAML `type:` name.
///
/// A value handed to the host (not a global), so tests build their own. A
/// duplicate type name is refused when the registry is made.
public struct PluginRegistry: Sendable {
    public let sourceFactories: [any SourceFactory]
    public let sinkFactories: [any SinkFactory]
    /// What the seed's environment variables map to (`run --legacy-env`);
    /// `nil`: this registry cannot run from them.
    public let legacyEnvironment: LegacyEnvironment.Types?

    public init(
        sources: [any SourceFactory], sinks: [any SinkFactory], legacyEnvironment: LegacyEnvironment.Types? = nil
    ) throws(RegistryError) {
        var seen: Set<String> = []
        for type in sources.map(\.type) + sinks.map(\.type) where !seen.insert(type).inserted {
            throw RegistryError(message: "plugin type \"\(type)\" is registered twice")
        }
        self.sourceFactories = sources
        self.sinkFactories = sinks
        self.legacyEnvironment = legacyEnvironment
    }

    /// The sink types that can also keep the pipeline state (`state.store` values beside `file`).
    public var stateStoreTypes: [String] {
        sinkFactories.filter { $0 is any StateStoreProviderFactory }.map(\.type)
    }

    public func sourceFactory(type: String) -> (any SourceFactory)? {
        sourceFactories.first { $0.type == type }
    }

    public func sinkFactory(type: String) -> (any SinkFactory)? {
        sinkFactories.first { $0.type == type }
    }

    public var sourceTypes: [String] { sourceFactories.map(\.type) }
    public var sinkTypes: [String] { sinkFactories.map(\.type) }
}

/// The registry was built wrong (a programming error caught at start).
public struct RegistryError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
