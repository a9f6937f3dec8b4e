/// A source the daemon collects on a schedule of its own (`interval` in its
/// config) rather than the service's default: each collection reads from the
/// committed cursor until caught up, then returns.
public protocol ScheduledSource: ObservationSource {
    /// How often the daemon collects the source.
    var interval: Duration { get }
    /// The same source reading until caught up and then returning (one collection),
    /// where `makeReader` of the source itself may keep waiting for more.
    func oneCollection() -> any ObservationSource
}

/// A source whose cursor stands at a time: the daemon shows it as the source's
/// `last_completed_until` and its lag, and reconcile compares no later than it.
public protocol TimedCursorSource: ObservationSource {
    /// The time `cursor` stands at; `nil` when it has none (or is not this source's).
    func time(of cursor: SourceCursor) -> Timestamp?
}

/// A source that can read a past span again without writing anything, so the
/// daemon's reconcile job compares what the upstream shows with the ledger.
public protocol ReconcilableSource: ObservationSource {
    /// The observations the upstream shows for `[since, until]`, as a read from
    /// scratch would meter them (cumulative counters). Throws `PluginError`.
    func observations(since: Timestamp, until: Timestamp) async throws -> [Observation]
}
