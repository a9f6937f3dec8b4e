public import Core

/// The next window to request: pure arithmetic over the committed cursor, the
/// clock and the settings, so the catch-up rules are tested without sockets.
public struct WindowStep: Hashable, Sendable {
    /// `since=`: the committed end minus the overlap (or the initial lookback).
    public var since: Timestamp
    /// `until=`: at most one catch-up step past the committed end, never past the target.
    public var until: Timestamp
}

/// Plans catch-up windows from a committed cursor towards `now − settle_delay`.
public enum WindowPlan {
    /// Where the first window begins when no cursor was committed, and the start
    /// after an outage longer than the exporter keeps (the lost span is logged by the reader).
    public static func start(cursor: ExporterPullCursor?, target: Timestamp, settings: ExporterPullSettings)
        -> Timestamp
    {
        let oldest = target.adding(settings.settleDelay).adding(.zero - ExporterPullSettings.retention)
        guard let cursor else {
            let lookback = min(settings.initialLookback, ExporterPullSettings.retention)
            return max(target.adding(settings.settleDelay).adding(.zero - lookback), oldest)
        }
        return max(cursor.until, oldest)
    }

    /// The next step from `committed` (the end already delivered) towards `target`,
    /// or `nil` when the source is current. `first` says no cursor existed (no overlap then).
    public static func next(
        committed: Timestamp, target: Timestamp, first: Bool, settings: ExporterPullSettings
    ) -> WindowStep? {
        guard committed < target else { return nil }
        let until = min(committed.adding(settings.catchUpStep), target)
        let since = first ? committed : committed.adding(.zero - settings.overlap)
        return WindowStep(since: since, until: until)
    }
}
