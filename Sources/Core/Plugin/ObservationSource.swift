/// A batch of observations a source delivers, with the position to resume after it.
///
/// The host meters, rates and writes the whole batch, and only then commits
/// `cursor`: a crash before that replays the batch, and fact ids make the replay
/// change nothing.
public struct ObservationBatch: Sendable {
    public var observations: [Observation]
    /// The position just after the last input this batch covers.
    public var cursor: SourceCursor
    /// Human-readable position for progress lines and errors (`fixtures.jsonl:1200`).
    public var position: String
    /// Input records set aside by `on_error: quarantine` while reading this batch.
    public var quarantined: Int
    /// Set on a notice, not a batch: a long-running source failed in a way it
    /// retries by itself (an exporter down). The host records it in the source's
    /// status (last error, consecutive failures) and commits nothing; `cursor`
    /// and `observations` are not used.
    public var failure: String?
    /// Upstream samples the batch holds, as its sender counts them (an xray
    /// account on one snapshot is one sample and two observations: uplink and
    /// downlink). Job results report samples, so no host compares type names.
    public var samples: Int
    /// The idempotency keys this batch answers for, committed with its state
    /// by a store that keeps them (`PipelineStateStore.keepsRequestKeys`).
    public var requestKeys: [RequestKey] = []

    /// `samples` nil: one sample per observation.
    public init(
        observations: [Observation], cursor: SourceCursor, position: String, quarantined: Int = 0, samples: Int? = nil
    ) {
        self.observations = observations
        self.cursor = cursor
        self.position = position
        self.quarantined = quarantined
        self.failure = nil
        self.samples = samples ?? observations.count
    }

    /// A notice of a failure the source is retrying (see `failure`).
    public static func retrying(after message: String, position: String) -> ObservationBatch {
        var notice = ObservationBatch(observations: [], cursor: SourceCursor(json: "null"), position: position)
        notice.failure = message
        return notice
    }
}

/// Reads batches one after another from a position. Owned by a single task.
public protocol ObservationReader {
    /// The next batch, or `nil` when a finite source is drained. A pull source
    /// waits inside this call until it has something. Throws `PluginError`.
    mutating func next() async throws -> ObservationBatch?
}

/// A source adapter: the `sources.<id>` entry of plugins.yaml, made by its factory.
///
/// Construction does no I/O (so `validate` can build every source); files and
/// sockets are opened by `makeReader`.
public protocol ObservationSource: Sendable {
    /// The `sources.<id>` key.
    var id: String { get }
    /// Metering options common to every source (initial sync, gap policy).
    var metering: MeteringOptions { get }
    /// Opens the source at `cursor` (`nil`: from the beginning).
    func makeReader(from cursor: SourceCursor?) async throws -> any ObservationReader
}
