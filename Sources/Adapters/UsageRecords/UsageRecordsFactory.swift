public import Core

/// Builds `usage_records` sources: the AI platform's usage records pushed to
/// `POST /api/v1/usage/record(s)`, with its read side (UPSTREAMS §5).
public struct UsageRecordsFactory: SourceFactory {
    public init() {}

    public var type: String { "usage_records" }

    public var summary: String {
        "Accepts the AI platform's usage records (POST /api/v1/usage/record, /records) and answers its usage reads"
    }

    public func makeSource(id: String, config: ConfigMap, context: PluginContext) -> (any ObservationSource)? {
        guard let (settings, metering) = Self.decode(config) else { return nil }
        return UsageRecordsSource(id: id, metering: metering, settings: settings, clock: context.clock)
    }

    /// Decodes and validates one `sources.<id>` entry; `nil` when any problem was recorded.
    public static func decode(_ config: ConfigMap) -> (UsageRecordsSettings, MeteringOptions)? {
        let before = config.diagnostics.problems.count
        let maxBody = config.size("max_body_bytes") ?? UsageRecordsSettings.defaultMaxBodyBytes
        let maxRecords = config.integer("max_records", in: 1...1_000_000) ?? UsageRecordsSettings.defaultMaxRecords
        let keys =
            config.integer("idempotency_keys", in: 1_000...100_000_000) ?? UsageRecordsSettings.defaultIdempotencyKeys
        let port = config.integer("health_port", in: 1...65_535) ?? UsageRecordsSettings.defaultHealthPort
        var serviceTypes: [String: UsageRecordsSettings.ServiceType] = [:]
        if let map = config.map("service_types", required: true) {
            for name in map.keys {
                guard let entry = map.map(name) else { continue }
                if let violation = LabelRules.violation(in: name, field: .dimensionValue) {
                    map.problem(name, "\(violation)")
                }
                let mapping = Self.mapping(entry)
                var products: [String: UsageRecordsSettings.Mapping] = [:]
                if let productMap = entry.map("products") {
                    for product in productMap.keys {
                        guard let productEntry = productMap.map(product) else { continue }
                        if let parsed = Self.mapping(productEntry) { products[product] = parsed }
                        productEntry.finish()
                    }
                }
                entry.finish()
                if let mapping { serviceTypes[name] = .init(mapping: mapping, products: products) }
            }
            if map.keys.isEmpty { config.problem("service_types", "must map at least one service_type") }
        }
        config.declare(MeteringOptions.configKeys)
        let metering = MeteringOptions.read(from: config, window: UsageRecordsSettings.defaultWindow)
        config.finish()
        if maxBody < 1024 || maxBody > 1 << 30 {
            config.problem("max_body_bytes", "must be between 1KiB and 1GiB")
        }
        guard config.diagnostics.problems.count == before else { return nil }
        return (
            UsageRecordsSettings(
                serviceTypes: serviceTypes, maxBodyBytes: maxBody, maxRecords: maxRecords, idempotencyKeys: keys,
                healthPort: port),
            metering
        )
    }

    /// `{ metric: NAME, unit_scale: N }`.
    static func mapping(_ entry: ConfigMap) -> UsageRecordsSettings.Mapping? {
        let metric = entry.string("metric", required: true)
        let scale = entry.integer("unit_scale", as: UInt64.self, in: 1...UInt64.max, required: true)
        if let metric, let violation = LabelRules.violation(in: metric, field: .metric) {
            entry.problem("metric", "\(violation)")
            return nil
        }
        guard let metric, let scale else { return nil }
        return .init(metric: metric, unitScale: scale)
    }
}
