/// The line formats a fixture file (and `file_replay`) can hold.
public enum FixtureFormat: String, Hashable, Sendable, CaseIterable {
    /// One xray-exporter snapshot object a line.
    case xraySnapshots = "xray_snapshots"
    /// One `SendMetricsBatch` request a line.
    case vmMetrics = "vm_metrics"
    /// The project's own observation lines (docs/observations-format.md).
    case observations
}
