/// A sink that answers usage questions from what it holds: the daemon's
/// `/v1/usage`, reconcile and the readers of later issues (invoices, quotas)
/// read the ledger through this, never through a concrete sink.
public protocol UsageLedger: Sendable {
    /// The sink's id (`sinks.<id>`).
    var ledgerID: String { get }
    /// One page of `query`'s rows after `cursor` (at most `limit`), sorted by
    /// period, subject, metric, currency. Throws `PluginError`.
    func usage(_ query: UsageQuery, after cursor: UsageCursor?, limit: Int) async throws -> UsagePage
    /// Per subject, metric and minute, the summed quantity `source` wrote for
    /// minutes in `(after, through]`.
    func sourceMinuteTotals(source: String, after: Timestamp, through: Timestamp) async throws
        -> [SourceMinuteTotal]
}
