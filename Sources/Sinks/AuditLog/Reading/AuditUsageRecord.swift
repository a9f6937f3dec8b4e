public import Core

/// One `usage` line read back from an audit file: the priced fact plus where it
/// was written. Exists so tests can compare audit content with an uninterrupted
/// run, and so `rate --from-audit` can re-rate what was billed.
public struct AuditUsageRecord: Hashable, Sendable {
    /// The line's position in the chain.
    public var seq: UInt64
    public var pipeline: String
    /// The `FactBatch.sequence` the fact was written in.
    public var batch: UInt64
    /// The fact as written (id, series, interval, minute, quantity, flags, amount,
    /// currency, price book).
    public var fact: UsageFact
    /// The unit the line names (the metric's base unit when it was written).
    public var unit: String

    public init(seq: UInt64, pipeline: String, batch: UInt64, fact: UsageFact, unit: String) {
        self.seq = seq
        self.pipeline = pipeline
        self.batch = batch
        self.fact = fact
        self.unit = unit
    }
}
