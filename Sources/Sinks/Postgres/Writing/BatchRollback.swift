import Core
import Logging
import PostgresNIO

/// What a rollback removed, for the log and the tests.
public struct LedgerRollbackResult: Sendable, Hashable {
    /// Batch log rows of the pipeline after the committed sequence.
    public var batches: Int
    /// Facts those batches had inserted.
    public var facts: Int
    /// Minute-total rows decreased (or removed when no fact was left in them).
    public var totals: Int
}

/// Undoes, inside the caller's transaction, every batch of one pipeline after
/// its committed sequence: the facts each of them inserted, their share of the
/// minute totals, and their batch log rows (FactSink's rollback contract).
///
/// When this database is also the pipeline's state store a batch's facts and
/// its state commit together, so there is never anything to undo and the
/// first query (one probe of the batch log's unique key) finds nothing. The
/// work is real when the state lives elsewhere (`state: { store: file }`):
/// facts written before a failed state commit would otherwise stay in the
/// ledger while the pipeline meters the same increase again from its older
/// baselines. A fact belongs to the batch that first inserted it (later
/// inserts of the same id do nothing), so removing an uncommitted batch's facts
/// never touches a committed batch's.
struct BatchRollback {
    let schema: LedgerSchema
    let logger: Logger

    static let removedTable = "billing_rollback_totals"

    /// The most batches a pipeline can have written past its committed one: it
    /// writes a batch to every sink, commits it, and only then writes the next.
    /// More than that means the state store and this ledger do not belong
    /// together (a deleted or restored state file), and undoing them would
    /// delete committed usage: refused, never done.
    static let maximumUncommitted: Int64 = 2

    /// Why a rollback is refused: permanent, an operator must look.
    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    func rollBack(pipeline: String, after committed: UInt64, on connection: PostgresConnection) async throws
        -> LedgerRollbackResult
    {
        let sequence = Int64(clamping: committed)
        let batches = try await connection.query(
            "SELECT count(*)::bigint FROM \(unescaped: schema.batchLog) WHERE pipeline = \(pipeline) AND sequence > \(sequence)",
            logger: logger)
        var batchCount: Int64 = 0
        for try await count in batches.decode(Int64.self) { batchCount = count }
        guard batchCount > 0 else { return LedgerRollbackResult(batches: 0, facts: 0, totals: 0) }
        guard batchCount <= Self.maximumUncommitted else {
            throw Refusal(
                description:
                    "the ledger holds \(batchCount) batches of pipeline \(pipeline) after batch \(committed), the last "
                    + "one its state store committed; a pipeline never leaves more than \(Self.maximumUncommitted) "
                    + "uncommitted, so the state does not belong to this ledger (a deleted or restored state?). "
                    + "Nothing was removed: restore the matching state, or write to a new schema")
        }

        try await connection.query(
            """
            CREATE TEMPORARY TABLE IF NOT EXISTS \(unescaped: Self.removedTable) (
                subject text COLLATE "C", minute timestamptz, series_id uuid, currency text COLLATE "C",
                quantity numeric, amount numeric, fact_count bigint
            ) ON COMMIT DELETE ROWS
            """, logger: logger)
        try await connection.query("TRUNCATE \(unescaped: Self.removedTable)", logger: logger)
        try await connection.query(
            """
            WITH gone AS (
                DELETE FROM \(unescaped: schema.facts)
                WHERE batch_id IN (
                    SELECT batch_id FROM \(unescaped: schema.batchLog) WHERE pipeline = \(pipeline) AND sequence > \(sequence))
                RETURNING subject, minute, series_id, currency, quantity, amount
            )
            INSERT INTO \(unescaped: Self.removedTable)
            SELECT subject, minute, series_id, currency, sum(quantity), sum(amount), count(*)
            FROM gone GROUP BY subject, minute, series_id, currency
            """, logger: logger)
        let counted = try await connection.query(
            "SELECT count(*)::bigint, coalesce(sum(fact_count), 0)::bigint FROM \(unescaped: Self.removedTable)",
            logger: logger)
        var totals: Int64 = 0
        var facts: Int64 = 0
        for try await (rows, removed) in counted.decode((Int64, Int64).self) {
            totals = rows
            facts = removed
        }
        try await connection.query(
            """
            UPDATE \(unescaped: schema.minuteTotals) t
            SET quantity = t.quantity - r.quantity, amount = t.amount - r.amount, fact_count = t.fact_count - r.fact_count
            FROM \(unescaped: Self.removedTable) r
            WHERE t.subject = r.subject AND t.minute = r.minute AND t.series_id = r.series_id AND t.currency = r.currency
            """, logger: logger)
        try await connection.query(
            """
            DELETE FROM \(unescaped: schema.minuteTotals) t USING \(unescaped: Self.removedTable) r
            WHERE t.subject = r.subject AND t.minute = r.minute AND t.series_id = r.series_id
                AND t.currency = r.currency AND t.fact_count = 0
            """, logger: logger)
        try await connection.query(
            "DELETE FROM \(unescaped: schema.batchLog) WHERE pipeline = \(pipeline) AND sequence > \(sequence)",
            logger: logger)
        return LedgerRollbackResult(batches: Int(batchCount), facts: Int(facts), totals: Int(totals))
    }
}
