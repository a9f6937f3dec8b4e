public import Core

/// Builds `jsonl_audit` sinks from their `sinks.<id>` config entry: the one
/// place that knows the sink's YAML keys (`path`, `rotate_bytes`, `fsync`).
public struct AuditLogFactory: SinkFactory {
    public init() {}

    public var type: String { "jsonl_audit" }

    public var summary: String { "tamper-evident audit log: hash-chained canonical JSON lines, fsynced per batch" }

    /// Reads and validates the options without I/O; records every problem in the
    /// map's diagnostics and returns `nil` when there was any.
    public func options(config: ConfigMap, context: PluginContext) -> AuditLogOptions? {
        let before = config.diagnostics.problems.count
        config.declare("type")
        let path = config.string("path", required: true)
        var rotateBytes = AuditLogOptions.defaultRotateBytes
        if let size = config.size("rotate_bytes") {
            if size < AuditLogOptions.minimumRotateBytes {
                config.problem("rotate_bytes", "must be at least \(AuditLogOptions.minimumRotateBytes) bytes (1KiB)")
            } else {
                rotateBytes = size
            }
        }
        let fsync = config.bool("fsync") ?? true
        config.finish()
        guard let path, config.diagnostics.problems.count == before else { return nil }
        var directory = context.resolve(path: path)
        while directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
        return AuditLogOptions(directory: directory, rotateBytes: rotateBytes, fsync: fsync)
    }

    public func makeSink(id: String, config: ConfigMap, context: PluginContext) -> (any FactSink)? {
        guard let options = options(config: config, context: context) else { return nil }
        return AuditLogSink(id: id, options: options, context: context)
    }
}
