import Core

/// Deterministic facts and batches for the sink tests.
enum Fixtures {
    /// 2026-11-01T00:00:00Z.
    static let november = Timestamp(secondsSinceEpoch: 1_793_491_200)

    static func series(_ subject: Int, metric: String = "uplink_bytes", node: String = "edge-1") -> SeriesKey {
        SeriesKey(
            source: "edge", subject: "acct-\(subject)", metric: metric,
            dimensions: [Dimension("node_id", node), Dimension("env", "prod")])
    }

    /// One fact of `series` in minute `minute` after `start`, id unique per (series index, minute, part).
    static func fact(
        subject: Int, minute: Int64, quantity: UInt64, amount: String = "0.000000001", part: UInt64 = 0,
        start: Timestamp = november, metric: String = "uplink_bytes", flags: FactFlags = []
    ) -> UsageFact {
        let minuteStart = start.adding(nanoseconds: minute * Timestamp.nanosecondsPerMinute)
        let to = minuteStart.adding(nanoseconds: 30 * Timestamp.nanosecondsPerSecond + 123_456_789)
        let from = to.adding(nanoseconds: -Timestamp.nanosecondsPerMinute)
        let metricTag: UInt64 = metric == "uplink_bytes" ? 0 : 1 << 20
        return UsageFact(
            id: Digest128(
                high: UInt64(subject) << 24 | metricTag | part, low: UInt64(bitPattern: minuteStart.minuteIndex)),
            series: series(subject, metric: metric), from: from, to: to, minute: minuteStart, quantity: quantity,
            flags: flags, amount: Money(decimal: amount) ?? .zero, currency: "USD", priceBook: "2026-11")
    }

    static func batch(
        _ facts: [UsageFact], sequence: UInt64, pipeline: String = "main", cursor: String = "{\"offset\":1}",
        baselines: [SeriesDigest: Baseline] = [:]
    ) -> FactBatch {
        let state = SourceState(
            cursor: SourceCursor(json: cursor), firstMinute: november,
            lastAttemptedAt: november.adding(nanoseconds: 5), lastSucceededAt: november.adding(nanoseconds: 5))
        return FactBatch(
            pipeline: pipeline, sequence: sequence, source: "edge", facts: facts,
            stateCommit: StateCommit(
                pipeline: pipeline, sequence: sequence, source: "edge", sourceState: state, baselines: baselines))
    }

    /// `subjects × minutes` facts, quantities varying, two facts in some minutes.
    static func grid(subjects: Int, minutes: Int64, start: Timestamp = november) -> [UsageFact] {
        var out: [UsageFact] = []
        out.reserveCapacity(subjects * Int(minutes))
        for s in 0..<subjects {
            for m in 0..<minutes {
                out.append(fact(subject: s, minute: m, quantity: UInt64(s * 1_000 + Int(m) + 1), start: start))
            }
        }
        return out
    }
}
