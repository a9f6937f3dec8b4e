import Core
public import Host
public import Metrics
import Rating

/// The daemon's metrics, recorded through swift-metrics into the factory it is
/// given (the Prometheus registry `/metrics` emits; no global bootstrap).
///
/// Names: `billing_observations_total`, `billing_facts_total`,
/// `billing_resets_total`, `billing_gaps_total`, `billing_duplicates_total`,
/// `billing_late_total` (per source); `billing_source_lag_seconds`,
/// `billing_source_last_success_timestamp_seconds`,
/// `billing_source_consecutive_failures` (per source, set at scrape time);
/// `billing_sink_write_seconds`, `billing_sink_errors_total` (per sink);
/// `billing_batch_facts`; `billing_http_requests_total`,
/// `billing_http_request_duration_seconds` (per route, method, status).
public struct DaemonMetrics: PipelineObserver {
    public let factory: any MetricsFactory

    public init(factory: any MetricsFactory) { self.factory = factory }

    /// Histogram buckets of the batch size recorder.
    public static let batchFactBuckets: [Double] = [0, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]

    public func committed(source: String, outcome: BatchOutcome) {
        let labels = [("source", source)]
        func count(_ name: String, _ value: Int) {
            Counter(label: name, dimensions: labels, factory: factory).increment(by: Int64(value))
        }
        count("billing_observations_total", outcome.observations)
        count("billing_facts_total", outcome.facts)
        count("billing_resets_total", outcome.stats.resets)
        count("billing_gaps_total", outcome.stats.gaps)
        count("billing_duplicates_total", outcome.stats.duplicates)
        count("billing_late_total", outcome.stats.late)
        Recorder(label: "billing_batch_facts", dimensions: [], aggregate: true, factory: factory).record(outcome.facts)
    }

    /// Per-source gauges, refreshed from the committed state when `/metrics` is scraped.
    func source(_ id: String, lagSeconds: Int64?, lastSuccess: Timestamp?, consecutiveFailures: Int) {
        let labels = [("source", id)]
        if let lagSeconds {
            Gauge(label: "billing_source_lag_seconds", dimensions: labels, factory: factory).record(lagSeconds)
        }
        if let lastSuccess {
            Gauge(label: "billing_source_last_success_timestamp_seconds", dimensions: labels, factory: factory)
                .record(lastSuccess.nanosecondsSinceEpoch / Timestamp.nanosecondsPerSecond)
        }
        Gauge(label: "billing_source_consecutive_failures", dimensions: labels, factory: factory)
            .record(consecutiveFailures)
    }

    func sinkWrite(sink: String, nanoseconds: Int64, failed: Bool) {
        Timer(label: "billing_sink_write_seconds", dimensions: [("sink", sink)], factory: factory)
            .recordNanoseconds(nanoseconds)
        if failed {
            Counter(label: "billing_sink_errors_total", dimensions: [("sink", sink)], factory: factory).increment()
        }
    }

    func request(route: String, method: String, status: Int, nanoseconds: Int64) {
        let labels = [("route", route), ("method", method), ("status", "\(status)")]
        Counter(label: "billing_http_requests_total", dimensions: labels, factory: factory).increment()
        Timer(label: "billing_http_request_duration_seconds", dimensions: labels, factory: factory)
            .recordNanoseconds(nanoseconds)
    }
}
