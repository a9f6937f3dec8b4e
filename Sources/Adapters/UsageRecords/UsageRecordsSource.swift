public import Core

/// A `usage_records` source: the AI platform pushes its usage records to the
/// daemon (UPSTREAMS §5) and reads its usage back from the pipeline's ledger.
///
/// It has nothing to read on its own (its reader ends at once); each accepted
/// body becomes one batch of delta observations through the source's
/// pipeline, answered once durable.
public struct UsageRecordsSource: ObservationSource {
    public let id: String
    public let metering: MeteringOptions
    public let settings: UsageRecordsSettings
    /// The plugin context's clock (nil: the push context's).
    public let clock: (any WallClock)?
    /// `request_id` → digest of the record it first came with.
    public let requests: RequestDigests

    public init(
        id: String, metering: MeteringOptions = MeteringOptions(window: UsageRecordsSettings.defaultWindow),
        settings: UsageRecordsSettings, clock: (any WallClock)? = nil, requests: RequestDigests? = nil
    ) {
        self.id = id
        self.metering = metering
        self.settings = settings
        self.clock = clock
        self.requests = requests ?? RequestDigests(capacity: settings.idempotencyKeys)
    }

    public func makeReader(from cursor: SourceCursor?) async throws -> any ObservationReader {
        UsageRecordsReader()
    }

    func now(_ context: any PushContext) -> Timestamp { (clock ?? context.clock).now() }
}

/// A push source has nothing to pull: its reader is drained from the start.
struct UsageRecordsReader: ObservationReader {
    mutating func next() async throws -> ObservationBatch? { nil }
}

/// The committed position of a `usage_records` source: the latest record instant.
public struct UsageRecordsCursor: Codable, Sendable, Hashable {
    public var latest: Timestamp
    public init(latest: Timestamp) { self.latest = latest }
}

/// Why a record or a read is refused, in words (the answer's `detail`).
struct Refusal: Error, Sendable, ExpressibleByStringInterpolation {
    var text: String
    init(stringLiteral value: String) { self.text = value }
}
