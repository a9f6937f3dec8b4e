public import Core

/// Everything a `generator` source simulates, decoded and validated from its
/// config entry (see README.md for each key).
///
/// Exists as a plain value so tests, the benchmark and the `generate` command
/// can build a simulation without YAML.
public struct GeneratorSettings: Hashable, Sendable {
    /// Which upstream a run imitates.
    public enum Family: String, Hashable, Sendable, CaseIterable {
        /// xray-exporter snapshots (UPSTREAMS §1), one per node per interval.
        case xray
        /// metald `SendMetricsBatch` requests (UPSTREAMS §4), one per VM per interval.
        case vm
    }

    public static let defaultStart = Timestamp(secondsSinceEpoch: 1_767_225_600)  // 2026-01-01T00:00:00Z

    public var seed: UInt64
    /// Accounts (xray) or customers (vm).
    public var subjects: Int
    /// xray nodes.
    public var nodes: Int
    /// Distinct, in the order xray, vm (the order of a tick's records).
    public var families: [Family]
    /// Simulated time of the first tick.
    public var start: Timestamp
    /// Simulated time between two ticks.
    public var interval: Duration
    /// Total simulated time; `nil` runs forever. Ticks lie in `[start, start + duration)`.
    public var duration: Duration?
    public var vmsPerSubject: Int
    /// The `env` every xray snapshot carries.
    public var env: String
    /// Per snapshot (or VM batch): the proxy (or VM) restarted and its counters dropped.
    public var counterReset: Probability
    /// Per snapshot: it is sent twice in a row.
    public var duplicate: Probability
    /// Per snapshot: it is sent after the node's next one.
    public var outOfOrder: Probability
    /// Per snapshot: it and up to `maxGapIntervals - 1` more of the node are never sent.
    public var gap: Probability
    public var maxGapIntervals: Int
    /// The most observations a batch holds (a batch always ends on a snapshot boundary,
    /// so one large snapshot may exceed it).
    public var batchSize: Int

    public init(
        seed: UInt64 = 1, subjects: Int = 100, nodes: Int = 3, families: [Family] = [.xray],
        start: Timestamp = GeneratorSettings.defaultStart, interval: Duration = .seconds(60),
        duration: Duration? = nil, vmsPerSubject: Int = 1, env: String = "production",
        counterReset: Probability = .never, duplicate: Probability = .never, outOfOrder: Probability = .never,
        gap: Probability = .never, maxGapIntervals: Int = 5, batchSize: Int = 10_000
    ) {
        self.seed = seed
        self.subjects = subjects
        self.nodes = nodes
        self.families = Family.allCases.filter { families.contains($0) }
        self.start = start
        self.interval = interval
        self.duration = duration
        self.vmsPerSubject = vmsPerSubject
        self.env = env
        self.counterReset = counterReset
        self.duplicate = duplicate
        self.outOfOrder = outOfOrder
        self.gap = gap
        self.maxGapIntervals = maxGapIntervals
        self.batchSize = batchSize
    }

    public var generatesXray: Bool { families.contains(.xray) }
    public var generatesVM: Bool { families.contains(.vm) }

    /// Simulated ticks of the run: `duration / interval` (whole intervals), or as many
    /// as fit before the accepted years end (`Timestamp.acceptedRange`) when the
    /// duration is infinite, so every tick's time is one an observation may have.
    public var tickCount: Int64 {
        let step = max(interval.totalNanoseconds, 1)
        let end = Timestamp.acceptedRange.upperBound.nanosecondsSinceEpoch
        let fitting = max(end - 1 - max(start.nanosecondsSinceEpoch, 0), 0) / step
        guard let duration else { return fitting }
        return min(duration.totalNanoseconds / step, fitting)
    }

    /// Records (snapshots and VM batches) every tick: one per node, one per VM.
    public var streamsPerTick: Int {
        (generatesXray ? nodes : 0) + (generatesVM ? subjects * vmsPerSubject : 0)
    }

    /// The simulated instant of tick `tick`.
    public func time(ofTick tick: Int64) -> Timestamp {
        start.adding(nanoseconds: tick * interval.totalNanoseconds)
    }
}
