/// A sink that can also keep its pipelines' state (cursors, baselines,
/// sequence), committing each batch's state in the same transaction as its facts.
///
/// `state: { store: <type> }` in plugins.yaml names the sink type; the host
/// asks the sink for the store instead of knowing its type.
public protocol StateStoreProvider: FactSink {
    /// The store of `pipeline`, kept with this sink's data. Throws `PluginError`.
    func pipelineStateStore(for pipeline: String) throws -> any PipelineStateStore
}

/// A sink factory whose sinks are `StateStoreProvider`s: its `type` is a value
/// `state.store` accepts beside `file`.
public protocol StateStoreProviderFactory: SinkFactory {}
