import Core

/// The baseline writes of one metered batch, in order, as a plain array.
///
/// Exists so metering appends one pair per changed baseline instead of updating a
/// second dictionary per observation; the per-series latest values (what a state
/// commit needs) are folded once, when asked for.
struct BaselineChanges: Sendable {
    private var writes: [(digest: SeriesDigest, baseline: Baseline)] = []

    init(capacity: Int) {
        writes.reserveCapacity(capacity)
    }

    init(_ baselines: [SeriesDigest: Baseline]) {
        writes = baselines.map { ($0.key, $0.value) }
    }

    @inline(__always)
    mutating func record(_ digest: SeriesDigest, _ baseline: Baseline) {
        writes.append((digest, baseline))
    }

    /// Each series' last written baseline (a later write of the same series wins).
    func latest() -> [SeriesDigest: Baseline] {
        var out: [SeriesDigest: Baseline] = [:]
        out.reserveCapacity(writes.count)
        for write in writes { out[write.digest] = write.baseline }
        return out
    }
}
