public import Core

/// A validated `usage_records` configuration.
public struct UsageRecordsSettings: Sendable, Hashable {
    /// Where one `service_type` (or one of its products) goes: the metric and
    /// the base units one unit of `usage_amount` is worth.
    public struct Mapping: Sendable, Hashable {
        public var metric: String
        public var unitScale: UInt64

        public init(metric: String, unitScale: UInt64) {
            self.metric = metric
            self.unitScale = unitScale
        }
    }

    /// One `service_types.<name>` entry: its mapping, refined per `product_id`.
    public struct ServiceType: Sendable, Hashable {
        public var mapping: Mapping
        public var products: [String: Mapping]

        public init(mapping: Mapping, products: [String: Mapping] = [:]) {
            self.mapping = mapping
            self.products = products
        }
    }

    public var serviceTypes: [String: ServiceType]
    /// A larger body is refused with 413 before it is read whole.
    public var maxBodyBytes: Int64
    /// Records per `/usage/records` body at most.
    public var maxRecords: Int
    /// `request_id`s remembered with their body digest (oldest forgotten first).
    public var idempotencyKeys: Int
    /// The `port` `GET /health` reports (the platform's clients read it).
    public var healthPort: Int

    public static let defaultMaxBodyBytes: Int64 = 8 << 20
    public static let defaultMaxRecords = 10_000
    public static let defaultIdempotencyKeys = 1_000_000
    /// The platform's production port (UPSTREAMS §5).
    public static let defaultHealthPort = 8216
    /// The platform records what just happened: 5 minutes of clock drift
    /// ahead; 7 days behind, for a queue replayed after an outage.
    public static let defaultWindow = ObservationWindow(maxFutureSkew: .seconds(5 * 60), maxAge: .seconds(7 * 86_400))

    public init(
        serviceTypes: [String: ServiceType], maxBodyBytes: Int64 = Self.defaultMaxBodyBytes,
        maxRecords: Int = Self.defaultMaxRecords, idempotencyKeys: Int = Self.defaultIdempotencyKeys,
        healthPort: Int = Self.defaultHealthPort
    ) {
        self.healthPort = healthPort
        self.serviceTypes = serviceTypes
        self.maxBodyBytes = maxBodyBytes
        self.maxRecords = maxRecords
        self.idempotencyKeys = idempotencyKeys
    }

    /// The mapping of a record: its product's, else its service type's; nil: unmapped.
    public func mapping(serviceType: String, productID: String) -> Mapping? {
        guard let entry = serviceTypes[serviceType] else { return nil }
        return entry.products[productID] ?? entry.mapping
    }
}
