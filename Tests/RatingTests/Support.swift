import Core
import Testing

/// 2026-11-01T00:00:00Z in nanoseconds: the start of the test month.
let monthStart = Timestamp(nanosecondsSinceEpoch: 1_793_491_200 * 1_000_000_000)

/// An instant `minutes`:`seconds`(+`nanos`) after `monthStart`.
func at(_ minutes: Int64, _ seconds: Int64 = 0, nanos: Int64 = 0) -> Timestamp {
    monthStart.adding(nanoseconds: minutes * 60_000_000_000 + seconds * 1_000_000_000 + nanos)
}

func series(_ subject: String = "acct-1", _ metric: String = "traffic.downlink_bytes", node: String = "n1")
    -> SeriesKey
{
    SeriesKey(
        source: "edge", subject: subject, metric: metric,
        dimensions: [Dimension("node_id", node), Dimension("env", "prod"), Dimension("inbound_tag", "")])
}

func cumulative(_ key: SeriesKey, _ time: Timestamp, _ value: UInt64) -> Observation {
    Observation(series: key, time: time, value: .cumulative(value))
}

func gauge(_ key: SeriesKey, _ time: Timestamp, _ value: UInt64) -> Observation {
    Observation(series: key, time: time, value: .gauge(value))
}

/// The parts of a fact that golden cases compare (ids are checked separately).
struct FactShape: Hashable, CustomStringConvertible {
    var subject: String
    var minute: Timestamp
    var from: Timestamp
    var to: Timestamp
    var quantity: UInt64
    var flags: [String]

    init(
        _ subject: String, minute: Timestamp, from: Timestamp, to: Timestamp, _ quantity: UInt64, _ flags: [String] = []
    ) {
        self.subject = subject
        self.minute = minute
        self.from = from
        self.to = to
        self.quantity = quantity
        self.flags = flags
    }

    init(_ fact: UsageFact) {
        self.init(
            fact.series.subject, minute: fact.minute, from: fact.from, to: fact.to, fact.quantity, fact.flags.names)
    }

    var description: String { "\(subject) \(minute) [\(from)→\(to)] \(quantity) \(flags)" }
}

/// A small deterministic generator for property tests that build whole streams from one seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
