public import Core

/// Turns observations into exact, replay-safe per-minute usage facts (DESIGN §5).
///
/// Pure: no I/O, no clock. The pipeline owns the series baselines and the source's
/// `firstMinute`, hands them in, and commits `MeteringResult.changedBaselines` only
/// after every sink acknowledged; metering the same observations from the same
/// baselines always yields the same facts with the same ids, however the stream
/// was cut into batches.
///
/// Rules, per observation of series `s` at time `t` with value `v`, baseline `(t_prev, v_prev)`:
/// - `t == t_prev`: duplicate; `t < t_prev`: late. No fact, baseline unchanged, counted.
/// - Cumulative: the increase is `v − v_prev`, or `v` when `v < v_prev` (a counter
///   reset, flag `reset`). The whole increase goes to the minute of `t`, or with a
///   gap and `attribute: spread` it is split over the minutes of `[t_prev, t)`
///   (see `MinuteSplit.spread`). Baseline becomes `(t, v)`.
/// - Gauge: the level `v_prev` held over `[t_prev, t)` is integrated in byte-seconds
///   and split at minute boundaries (see `MinuteSplit.integral`).
/// - Delta: a fact of `v` in the minute of `t`; no baseline is kept.
/// - A zero quantity produces no fact (there is nothing to bill; the baseline still
///   moves), counted in `zero`.
/// - First observation: a gauge only sets its baseline. A cumulative series with
///   `initial_sync: baseline` only sets its baseline when first seen in a minute at
///   or before the source's first minute; first seen later, its whole value is
///   billed (flag `initial`, `from == to == t`). `bill_from_zero` bills every first value.
///
/// A gap is an interval longer than 1.5 × `expected_interval` (`isGap`): one missed
/// report of a periodic exporter is a gap, jitter of a few seconds is not.
public struct Meter: Sendable {
    public let options: MeteringOptions
    private let expectedNanoseconds: Int64

    public init(options: MeteringOptions) {
        self.options = options
        self.expectedNanoseconds = max(options.expectedInterval.totalNanoseconds, 1)
    }

    /// Whether an interval of `nanoseconds` is a gap: strictly longer than 1.5 × the
    /// expected interval (compared as 2·Δ > 3·expected, in integers).
    public func isGap(nanoseconds: Int64) -> Bool {
        let lhs = Int128(nanoseconds) * 2
        let rhs = Int128(expectedNanoseconds) * 3
        return lhs > rhs
    }

    /// Meters one batch in the given order.
    ///
    /// - Parameters:
    ///   - baselines: the pipeline's series baselines, updated in place.
    ///   - firstMinute: the source's first minute; when `nil` it is set to the minute
    ///     of the batch's earliest observation before anything is metered.
    public func meter(
        _ observations: [Observation], baselines: inout [SeriesDigest: Baseline], firstMinute: inout Timestamp?
    ) -> MeteringResult {
        if firstMinute == nil, let earliest = observations.min(by: { $0.time < $1.time }) {
            firstMinute = earliest.time.minuteStart
        }
        let sourceFirstMinute = firstMinute ?? Timestamp(nanosecondsSinceEpoch: .min)
        var facts: [UsageFact] = []
        facts.reserveCapacity(observations.count)
        var changes = BaselineChanges(capacity: observations.count)
        var stats = MeteringStats()
        var scratch: [UInt8] = []
        scratch.reserveCapacity(256)

        // Read observations in place: iterating the array copied each one (six
        // reference counts in, six out) before anything was metered.
        observations.withUnsafeBufferPointer { observations in
            for index in observations.indices {
                stats.observations += 1
                let digest = FactIdentity.seriesDigest(observations[index].series, scratch: &scratch)
                let before = facts.count
                let t = observations[index].time
                switch observations[index].value {
                case .delta(let value, let key):
                    guard value > 0 else {
                        stats.zero += 1
                        continue
                    }
                    facts.append(
                        UsageFact(
                            id: FactIdentity.deltaFactID(series: digest, time: t, idempotencyKey: key),
                            series: observations[index].series, from: t, to: t, minute: t.minuteStart, quantity: value))

                case .cumulative(let value):
                    // One probe: an existing baseline is then read and replaced through its index.
                    guard let slot = baselines.index(forKey: digest) else {
                        let baseline = Baseline(time: t, value: value)
                        baselines[digest] = baseline
                        changes.record(digest, baseline)
                        let billed = options.initialSync == .billFromZero || t.minuteStart > sourceFirstMinute
                        if !billed {
                            stats.baselined += 1
                        } else if value == 0 {
                            stats.zero += 1
                        } else {
                            stats.initial += 1
                            let minute = t.minuteStart
                            facts.append(
                                UsageFact(
                                    id: FactIdentity.intervalFactID(series: digest, from: t, to: t, minute: minute),
                                    series: observations[index].series, from: t, to: t, minute: minute, quantity: value,
                                    flags: .initial))
                            stats.metered += 1
                            stats.facts += 1
                        }
                        continue
                    }
                    let base = baselines.values[slot]
                    guard classify(t, against: base, stats: &stats) else { continue }
                    let baseline = Baseline(time: t, value: value)
                    baselines.values[slot] = baseline
                    changes.record(digest, baseline)
                    var flags: FactFlags = []
                    let increase: UInt64
                    if value < base.value {
                        flags.insert(.reset)
                        stats.resets += 1
                        increase = value
                    } else {
                        increase = value - base.value
                    }
                    let gap = isGap(nanoseconds: t.nanosecondsSinceEpoch - base.time.nanosecondsSinceEpoch)
                    if gap {
                        flags.insert(.gap)
                        stats.gaps += 1
                    }
                    guard increase > 0 else {
                        stats.zero += 1
                        continue
                    }
                    if gap && options.gapAttribution == .spread {
                        MinuteSplit.spread(increase, from: base.time, to: t) { minute, part in
                            facts.append(
                                UsageFact(
                                    id: FactIdentity.intervalFactID(
                                        series: digest, from: base.time, to: t, minute: minute),
                                    series: observations[index].series, from: base.time, to: t, minute: minute,
                                    quantity: part,
                                    flags: flags))
                        }
                    } else {
                        let minute = t.minuteStart
                        facts.append(
                            UsageFact(
                                id: FactIdentity.intervalFactID(series: digest, from: base.time, to: t, minute: minute),
                                series: observations[index].series, from: base.time, to: t, minute: minute,
                                quantity: increase,
                                flags: flags))
                    }

                case .gauge(let level):
                    guard let slot = baselines.index(forKey: digest) else {
                        let baseline = Baseline(time: t, value: level)
                        baselines[digest] = baseline
                        changes.record(digest, baseline)
                        stats.baselined += 1
                        continue
                    }
                    let base = baselines.values[slot]
                    guard classify(t, against: base, stats: &stats) else { continue }
                    let baseline = Baseline(time: t, value: level)
                    baselines.values[slot] = baseline
                    changes.record(digest, baseline)
                    var flags: FactFlags = []
                    if isGap(nanoseconds: t.nanosecondsSinceEpoch - base.time.nanosecondsSinceEpoch) {
                        flags.insert(.gap)
                        stats.gaps += 1
                    }
                    guard base.value > 0 else {
                        stats.zero += 1
                        continue
                    }
                    let overflows = MinuteSplit.integral(level: base.value, from: base.time, to: t) { minute, part in
                        facts.append(
                            UsageFact(
                                id: FactIdentity.intervalFactID(series: digest, from: base.time, to: t, minute: minute),
                                series: observations[index].series, from: base.time, to: t, minute: minute,
                                quantity: part,
                                flags: flags))
                    }
                    stats.overflows += overflows
                    if facts.count == before && overflows == 0 { stats.zero += 1 }
                }
                if facts.count > before {
                    stats.metered += 1
                    stats.facts += facts.count - before
                }
            }
        }
        return MeteringResult(facts: facts, changes: changes, stats: stats)
    }

    /// `true` when `t` is newer than the baseline; otherwise counts a duplicate or a late observation.
    private func classify(_ t: Timestamp, against base: Baseline, stats: inout MeteringStats) -> Bool {
        if t == base.time {
            stats.duplicates += 1
            return false
        }
        if t < base.time {
            stats.late += 1
            return false
        }
        return true
    }
}
