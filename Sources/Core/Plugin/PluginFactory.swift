/// Builds source adapters of one `type:`. The host holds an explicit list of these.
public protocol SourceFactory: Sendable {
    /// The YAML `type:` name (`file_replay`).
    var type: String { get }
    /// One line for `billing-service plugins`.
    var summary: String { get }
    /// Decodes and validates `sources.<id>` without I/O. Records every problem in
    /// `config`'s diagnostics and returns `nil` when there was any.
    func makeSource(id: String, config: ConfigMap, context: PluginContext) -> (any ObservationSource)?
}

/// Builds sinks of one `type:`.
public protocol SinkFactory: Sendable {
    var type: String { get }
    var summary: String { get }
    /// Decodes and validates `sinks.<id>` without I/O; `nil` when problems were recorded.
    func makeSink(id: String, config: ConfigMap, context: PluginContext) -> (any FactSink)?
}
