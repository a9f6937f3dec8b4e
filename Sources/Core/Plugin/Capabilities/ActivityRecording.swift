/// Where a push source records when an entity (a VM) starts and stops being
/// billable: the activity spans invoicing prorates recurring fees from. The
/// daemon lends it through `PushContext.activity` when a sink keeps spans (the
/// postgres sink's invoice store), so an adapter records exact instants
/// without knowing where they are kept.
public protocol ActivityRecording: Sendable {
    /// Opens the span of `subject`'s `dimension` (such as `vm_id=vm-1`) at
    /// `start`. Idempotent: the same start again changes nothing.
    func started(subject: String, dimension: Dimension, at start: Timestamp) async throws
    /// Closes the open span of `dimension` that started at or before `stop`;
    /// the number of spans closed (0: none was open, say a stop sent twice).
    func stopped(dimension: Dimension, at stop: Timestamp) async throws -> Int
}
