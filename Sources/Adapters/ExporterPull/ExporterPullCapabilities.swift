public import Core
import WireFormats

/// What the daemon asks of an exporter_pull source: its own collection
/// interval, the time its cursor stands at, and a re-read of a past span for
/// the reconcile job.
extension ExporterPullSource: ScheduledSource, TimedCursorSource, ReconcilableSource {
    public var interval: Duration { settings.interval }

    public func oneCollection() -> any ObservationSource { oneShot() }

    public func time(of cursor: SourceCursor) -> Timestamp? {
        (try? cursor.decode(as: ExporterPullCursor.self))?.until
    }

    public func observations(since: Timestamp, until: Timestamp) async throws -> [Observation] {
        var observations: [Observation] = []
        for snapshot in try await snapshots(since: since, until: until) {
            XraySnapshotDecoder.appendObservations(of: snapshot, source: id, to: &observations)
        }
        return observations
    }
}
