import Core

/// The clock window check of one fixture line: every observation the line
/// decoded to must lie inside the source's `ObservationWindow`, or the whole
/// line is refused (failed or quarantined per `on_error`, like a line that does
/// not decode), so it never reaches metering or moves the cursor.
struct LineWindow: Sendable {
    var window: ObservationWindow
    var clock: any WallClock

    /// The first observation of `observations[from...]` outside the window, checked against `now`.
    func violation(in observations: [Observation], from start: Int, now: Timestamp) -> LineOutsideWindow? {
        window.firstViolation(in: observations, from: start, now: now).map {
            LineOutsideWindow(violation: $0.violation)
        }
    }
}

/// A line refused by `LineWindow` (the text a dead letter or an error carries).
struct LineOutsideWindow: Error, CustomStringConvertible {
    var violation: WindowViolation
    var description: String { "timestamp \(violation)" }
}
