/// What an upstream reported about one series at one instant.
///
/// Values are integers in the metric's base unit (bytes, nanoseconds, tokens).
public enum ObservationValue: Hashable, Sendable {
    /// A monotonic counter's running total (xray bytes, cgroup cpu ns); drops on restart.
    case cumulative(UInt64)
    /// An amount used since the last report, with the client's idempotency key if it gave one.
    case delta(UInt64, idempotencyKey: String?)
    /// A level (memory bytes), billed as its integral over time.
    case gauge(UInt64)

    /// The kind's name as written in configs, fixtures and the audit file.
    public var kindName: String {
        switch self {
        case .cumulative: return "cumulative"
        case .delta: return "delta"
        case .gauge: return "gauge"
        }
    }
}

/// One reading of one series: the unit of input to metering.
public struct Observation: Hashable, Sendable {
    public var series: SeriesKey
    public var time: Timestamp
    public var value: ObservationValue

    public init(series: SeriesKey, time: Timestamp, value: ObservationValue) {
        self.series = series
        self.time = time
        self.value = value
    }
}
