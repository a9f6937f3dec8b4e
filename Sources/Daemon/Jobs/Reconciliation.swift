public import Core

/// What the exporter shows for a span, as per-minute counter increases, and
/// how it compares with what the ledger holds: the arithmetic of the
/// reconcile job, free of I/O so it is tested on its own.
public enum Reconciliation {
    /// A subject and metric in one minute (`minute` nil: the whole span, for sources whose gaps are spread).
    public struct Key: Hashable, Sendable, Comparable {
        public var subject: String
        public var metric: String
        public var minute: Timestamp?

        public static func < (a: Key, b: Key) -> Bool {
            let am = a.minute?.nanosecondsSinceEpoch ?? .min
            let bm = b.minute?.nanosecondsSinceEpoch ?? .min
            return (am, a.subject, a.metric) < (bm, b.subject, b.metric)
        }
    }

    /// One place where the ledger and the exporter disagree; quantities are exact decimal digits.
    public struct Difference: Sendable, Equatable, Encodable {
        public var subject: String
        public var metric: String
        public var minute: Timestamp?
        public var ledger: String
        public var exporter: String

        enum CodingKeys: String, CodingKey { case subject, metric, minute, ledger, exporter }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(subject, forKey: .subject)
            try c.encode(metric, forKey: .metric)
            try c.encode(minute?.rfc3339(fractionalDigits: .automatic), forKey: .minute)
            try c.encode(ledger, forKey: .ledger)
            try c.encode(exporter, forKey: .exporter)
        }
    }

    /// The span the snapshots cover: increases are compared for minutes in `(first, last]`
    /// (the first minute only sets each series' starting point).
    public struct Expected: Sendable {
        public var increases: [Key: UInt64]
        public var first: Timestamp
        public var last: Timestamp
    }

    /// Per series, each increase between consecutive cumulative observations
    /// (a counter that dropped restarted from zero: its whole value is the
    /// increase), attributed to the minute of the later one, summed per
    /// subject, metric and minute. `nil` when there are no observations.
    public static func expected(_ observations: [Observation], perMinute: Bool) throws(ReconcileOverflow)
        -> Expected?
    {
        guard let earliest = observations.map(\.time).min(), let latest = observations.map(\.time).max()
        else { return nil }
        var series: [SeriesKey: [(Timestamp, UInt64)]] = [:]
        for observation in observations {
            guard case .cumulative(let value) = observation.value else { continue }
            series[observation.series, default: []].append((observation.time, value))
        }
        let first = earliest.minuteStart
        var increases: [Key: UInt64] = [:]
        for (key, points) in series {
            let ordered = points.sorted { $0.0 < $1.0 }
            var previous: (Timestamp, UInt64)?
            for point in ordered {
                defer { previous = point }
                guard let before = previous, point.0 > before.0 else { continue }
                let increase = point.1 >= before.1 ? point.1 - before.1 : point.1
                let minute = point.0.minuteStart
                guard minute > first else { continue }
                let slot = Key(subject: key.subject, metric: key.metric, minute: perMinute ? minute : nil)
                let (sum, overflow) = increases[slot, default: 0].addingReportingOverflow(increase)
                if overflow { throw ReconcileOverflow(subject: key.subject, metric: key.metric) }
                increases[slot] = sum
            }
        }
        return Expected(increases: increases, first: first, last: latest.minuteStart)
    }

    /// Every key where the two disagree (a missing entry counts as 0), sorted by minute, subject, metric.
    public static func differences(ledger: [Key: String], expected: [Key: UInt64]) -> [Difference] {
        var out: [Difference] = []
        for key in Set(ledger.keys).union(expected.keys).sorted() {
            let held = normalized(ledger[key] ?? "0")
            let shown = String(expected[key] ?? 0)
            if held != shown {
                out.append(
                    Difference(
                        subject: key.subject, metric: key.metric, minute: key.minute, ledger: held, exporter: shown))
            }
        }
        return out
    }

    /// Decimal digits without leading zeros ("007" → "7", "" → "0").
    static func normalized(_ digits: String) -> String {
        let trimmed = digits.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }
}

/// A sum of increases passed 2^64 − 1 (no exporter counter can produce that in one span).
public struct ReconcileOverflow: Error, Sendable, CustomStringConvertible {
    public var subject: String
    public var metric: String
    public var description: String { "the increases of \(subject) \(metric) overflow 64 bits" }
}
