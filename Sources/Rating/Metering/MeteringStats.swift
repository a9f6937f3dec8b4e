public import Core

/// Counts of what metering did with a batch, so nothing it skipped is invisible.
///
/// Every observation lands in exactly one of: produced facts (`metered`),
/// `duplicates`, `late`, `baselined`, or produced nothing because its quantity
/// was zero (`zero`).
public struct MeteringStats: Hashable, Sendable {
    /// Observations read.
    public var observations = 0
    /// Observations that produced at least one fact.
    public var metered = 0
    /// Facts produced (a spread gap or a gauge interval crossing minutes yields several).
    public var facts = 0
    /// Cumulative observations below their baseline (counter restarted), billed from zero.
    public var resets = 0
    /// Intervals longer than the gap tolerance (`Meter.isGap`).
    public var gaps = 0
    /// Observations at exactly their series' baseline time: no fact, baseline unchanged.
    public var duplicates = 0
    /// Observations older than their series' baseline: no fact, baseline unchanged.
    public var late = 0
    /// First observations that only set a baseline (`initial_sync: baseline`, or any gauge).
    public var baselined = 0
    /// First observations billed from zero (flag `initial`).
    public var initial = 0
    /// Observations whose quantity was zero (no increase, zero delta, zero level): no fact.
    public var zero = 0
    /// Minute parts whose quantity exceeded `UInt64` (a gauge level above ~3·10¹⁷
    /// held for a minute): not emitted. Non-zero means the upstream is broken.
    public var overflows = 0

    public init() {}

    /// Adds another batch's counts.
    public mutating func add(_ other: MeteringStats) {
        observations += other.observations
        metered += other.metered
        facts += other.facts
        resets += other.resets
        gaps += other.gaps
        duplicates += other.duplicates
        late += other.late
        baselined += other.baselined
        initial += other.initial
        zero += other.zero
        overflows += other.overflows
    }
}

/// What metering one batch produced: the facts to rate and write, the baselines to
/// commit once every sink acknowledged, and the counts.
public struct MeteringResult: Sendable {
    public var facts: [UsageFact]
    public var stats: MeteringStats
    /// The batch's baseline writes in order; `changedBaselines` is derived from it.
    var changes: BaselineChanges

    /// Baselines this batch changed (the values after the batch), for `StateCommit.baselines`.
    ///
    /// Built on demand from the batch's write log: keeping a second dictionary up to
    /// date on every observation cost a hash probe per observation while metering.
    public var changedBaselines: [SeriesDigest: Baseline] {
        get { changes.latest() }
        set { changes = BaselineChanges(newValue) }
    }

    public init(facts: [UsageFact], changedBaselines: [SeriesDigest: Baseline], stats: MeteringStats) {
        self.init(facts: facts, changes: BaselineChanges(changedBaselines), stats: stats)
    }

    init(facts: [UsageFact], changes: BaselineChanges, stats: MeteringStats) {
        self.facts = facts
        self.changes = changes
        self.stats = stats
    }
}
