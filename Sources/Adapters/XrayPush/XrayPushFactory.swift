public import Core

/// Builds `xray_push` sources: xray-exporter snapshots pushed to the daemon's
/// `POST /v1/ingest/snapshots` (UPSTREAMS §2).
public struct XrayPushFactory: SourceFactory {
    public init() {}

    public var type: String { "xray_push" }

    public var summary: String {
        "Accepts xray-exporter snapshots pushed to POST /v1/ingest/snapshots (one snapshot, a JSON array or NDJSON)"
    }

    public func makeSource(id: String, config: ConfigMap, context: PluginContext) -> (any ObservationSource)? {
        guard let (settings, metering) = Self.decode(config) else { return nil }
        return XrayPushSource(id: id, metering: metering, settings: settings, clock: context.clock)
    }

    /// Decodes and validates one `sources.<id>` entry; `nil` when any problem was recorded.
    public static func decode(_ config: ConfigMap) -> (XrayPushSettings, MeteringOptions)? {
        let before = config.diagnostics.problems.count
        let maxBody = config.size("max_body_bytes") ?? XrayPushSettings.defaultMaxBodyBytes
        let env = config.string("expected_env")
        let nodes = config.stringList("allowed_node_ids") ?? []
        config.declare(MeteringOptions.configKeys)
        let metering = MeteringOptions.read(from: config, window: XrayPushSettings.defaultWindow)
        config.finish()
        if maxBody < 1024 || maxBody > 1 << 30 {
            config.problem("max_body_bytes", "must be between 1KiB and 1GiB")
        }
        if let env, env.isEmpty { config.problem("expected_env", "must not be empty (omit it to accept any env)") }
        if nodes.contains("") { config.problem("allowed_node_ids", "must not contain an empty node id") }
        guard config.diagnostics.problems.count == before else { return nil }
        return (XrayPushSettings(maxBodyBytes: maxBody, expectedEnv: env, allowedNodeIDs: Set(nodes)), metering)
    }
}
