/// The last observation metering saw of one series: what the next delta starts from.
public struct Baseline: Hashable, Sendable {
    public var time: Timestamp
    /// Counter total (cumulative) or level (gauge) at `time`.
    public var value: UInt64

    public init(time: Timestamp, value: UInt64) {
        self.time = time
        self.value = value
    }
}

/// What the state store keeps per source: where to resume and how the last attempts went.
public struct SourceState: Hashable, Sendable, Codable {
    public var cursor: SourceCursor?
    /// The UTC minute of the earliest observation this source ever delivered
    /// (decides `initial_sync: baseline`).
    public var firstMinute: Timestamp?
    public var lastAttemptedAt: Timestamp?
    public var lastSucceededAt: Timestamp?
    public var lastError: String?
    public var consecutiveFailures: Int

    enum CodingKeys: String, CodingKey {
        case cursor
        case firstMinute = "first_minute"
        case lastAttemptedAt = "last_attempted_at"
        case lastSucceededAt = "last_succeeded_at"
        case lastError = "last_error"
        case consecutiveFailures = "consecutive_failures"
    }

    public init(
        cursor: SourceCursor? = nil, firstMinute: Timestamp? = nil, lastAttemptedAt: Timestamp? = nil,
        lastSucceededAt: Timestamp? = nil, lastError: String? = nil, consecutiveFailures: Int = 0
    ) {
        self.cursor = cursor
        self.firstMinute = firstMinute
        self.lastAttemptedAt = lastAttemptedAt
        self.lastSucceededAt = lastSucceededAt
        self.lastError = lastError
        self.consecutiveFailures = consecutiveFailures
    }
}

/// Everything a pipeline resumes from after a restart.
public struct PipelineState: Sendable {
    /// The sequence of the last batch every sink acknowledged and the store committed.
    public var lastCommittedSequence: UInt64
    public var sources: [String: SourceState]
    public var baselines: [SeriesDigest: Baseline]

    public init(
        lastCommittedSequence: UInt64 = 0, sources: [String: SourceState] = [:],
        baselines: [SeriesDigest: Baseline] = [:]
    ) {
        self.lastCommittedSequence = lastCommittedSequence
        self.sources = sources
        self.baselines = baselines
    }

    /// Applies a commit in memory (what `load` returns after the commit is durable).
    public mutating func apply(_ commit: StateCommit) {
        lastCommittedSequence = commit.sequence
        sources[commit.source] = commit.sourceState
        for (digest, baseline) in commit.baselines { baselines[digest] = baseline }
    }
}

/// The state change of one batch: committed atomically, only after every sink acknowledged.
public struct StateCommit: Hashable, Sendable {
    public var pipeline: String
    public var sequence: UInt64
    public var source: String
    public var sourceState: SourceState
    /// Baselines this batch changed (only these are written).
    public var baselines: [SeriesDigest: Baseline]
    /// Idempotency keys the batch answers for (`ObservationBatch.requestKeys`).
    public var requestKeys: [RequestKey]

    public init(
        pipeline: String, sequence: UInt64, source: String, sourceState: SourceState,
        baselines: [SeriesDigest: Baseline], requestKeys: [RequestKey] = []
    ) {
        self.pipeline = pipeline
        self.sequence = sequence
        self.source = source
        self.sourceState = sourceState
        self.baselines = baselines
        self.requestKeys = requestKeys
    }
}

/// Durable pipeline state: a local file store, or PostgreSQL beside the ledger.
public protocol PipelineStateStore: Sendable {
    func load(pipeline: String) async throws -> PipelineState
    /// Makes the commit durable; idempotent for a sequence already committed.
    func commit(_ commit: StateCommit) async throws
    /// Records a source's attempt status (last attempted, last error, failures)
    /// without moving its cursor.
    func recordStatus(pipeline: String, source: String, state: SourceState) async throws
    /// Offers the full committed state so a store may compact its storage (the
    /// file store rewrites its snapshot and empties its journal). Called after a commit.
    func checkpoint(pipeline: String, state: PipelineState) async throws
    /// Whether `checkpoint` would compact now. A caller that meters the next
    /// batch while the last one is written must pause to offer a state that is
    /// exactly the committed one, so it asks before it pauses.
    func wantsCheckpoint(pipeline: String) async -> Bool
    /// Whether `commit` keeps a commit's `requestKeys` for `requestDigests`.
    var keepsRequestKeys: Bool { get }
    /// The digests committed for those of `keys` that `source` of `pipeline`
    /// committed before (empty when the store keeps no keys).
    func requestDigests(pipeline: String, source: String, keys: [String]) async throws -> [String: String]
}

extension PipelineStateStore {
    /// Default: nothing to compact.
    public func checkpoint(pipeline: String, state: PipelineState) async throws {}
    public func wantsCheckpoint(pipeline: String) async -> Bool { false }
    /// Default: keys are not kept (the source remembers them in memory only).
    public var keepsRequestKeys: Bool { false }
    public func requestDigests(pipeline: String, source: String, keys: [String]) async throws -> [String: String] {
        [:]
    }
}
