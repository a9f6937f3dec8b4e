import Core
import Logging
import PostgresNIO

/// What one batch write did, for logs, metrics and tests.
public struct LedgerWriteResult: Sendable, Hashable {
    /// The batch log row the facts point at.
    public var batchID: Int64
    /// False when the batch log already had this (pipeline, sequence): a replay.
    public var newBatch: Bool
    /// Facts that were new (the rest already existed and changed nothing).
    public var insertedFacts: Int
    /// Minute-total rows created or increased.
    public var touchedTotals: Int
    /// Whether the pipeline state advanced in the same transaction.
    public var stateCommitted: Bool
}

/// The SQL of one batch write, run inside the caller's transaction:
/// batch log row → COPY into a temporary staging table → insert new facts
/// (`ON CONFLICT DO NOTHING RETURNING`) → add only those to minute totals →
/// optionally the pipeline state. Replaying a batch changes nothing.
struct LedgerWriter {
    let schema: LedgerSchema
    let logger: Logger

    static let stagingTable = "billing_fact_staging"

    func write(
        _ batch: FactBatch, rows: [ByteBuffer], commitState: Bool, on connection: PostgresConnection
    ) async throws -> LedgerWriteResult {
        let (batchID, newBatch) = try await batchLogRow(batch, on: connection)
        var inserted = 0
        var totals = 0
        if !rows.isEmpty {
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE TEMPORARY TABLE IF NOT EXISTS \(Self.stagingTable) (
                            fact_id uuid NOT NULL, minute timestamptz NOT NULL, series_id uuid NOT NULL,
                            source text NOT NULL, subject text NOT NULL, metric text NOT NULL,
                            dimensions jsonb NOT NULL, from_at timestamptz NOT NULL, to_at timestamptz NOT NULL,
                            from_ns bigint NOT NULL, to_ns bigint NOT NULL, quantity numeric(20,0) NOT NULL,
                            flags smallint NOT NULL, amount numeric(38,18) NOT NULL, currency text NOT NULL,
                            price_book text NOT NULL
                        ) ON COMMIT DELETE ROWS
                        """), logger: logger)
            // Pooled connections keep the temporary table; ON COMMIT DELETE ROWS empties
            // it at each commit and a rollback discards this batch's rows.
            try await connection.copyFrom(
                table: Self.stagingTable, columns: FactCopyEncoder.columns, logger: logger
            ) { writer in
                for chunk in rows { try await writer.write(chunk) }
            }
            (inserted, totals) = try await insertNewFacts(batchID: batchID, on: connection)
            if newBatch {
                try await connection.query(
                    "UPDATE \(unescaped: schema.batchLog) SET inserted_count = \(inserted) WHERE batch_id = \(batchID)",
                    logger: logger)
            }
        }
        var stateCommitted = false
        if commitState {
            stateCommitted = try await StateWriter(schema: schema, logger: logger).apply(
                batch.stateCommit, on: connection)
        }
        return LedgerWriteResult(
            batchID: batchID, newBatch: newBatch, insertedFacts: inserted, touchedTotals: totals,
            stateCommitted: stateCommitted)
    }

    /// Inserts the batch log row, or finds the one a previous write of this batch made.
    private func batchLogRow(_ batch: FactBatch, on connection: PostgresConnection) async throws -> (Int64, Bool) {
        let sequence = Int64(batch.sequence)
        let insert = try await connection.query(
            """
            INSERT INTO \(unescaped: schema.batchLog) (pipeline, sequence, source, fact_count, inserted_count)
            VALUES (\(batch.pipeline), \(sequence), \(batch.source), \(batch.facts.count), 0)
            ON CONFLICT (pipeline, sequence) DO NOTHING
            RETURNING batch_id
            """, logger: logger)
        // Each result is read to its end before the next statement.
        var inserted: Int64?
        for try await id in insert.decode(Int64.self) { inserted = id }
        if let inserted { return (inserted, true) }
        let existing = try await connection.query(
            "SELECT batch_id FROM \(unescaped: schema.batchLog) WHERE pipeline = \(batch.pipeline) AND sequence = \(sequence)",
            logger: logger)
        var found: Int64?
        for try await id in existing.decode(Int64.self) { found = id }
        if let found { return (found, false) }
        throw PluginError(.retryable, component: "postgres", "batch log row vanished during the write")
    }

    /// One statement: new facts in, their sums added to minute totals; returns both row counts.
    private func insertNewFacts(batchID: Int64, on connection: PostgresConnection) async throws -> (Int, Int) {
        let query: PostgresQuery = """
            WITH new_facts AS (
                INSERT INTO \(unescaped: schema.facts) (
                    fact_id, minute, series_id, source, subject, metric, dimensions, from_at, to_at,
                    from_ns, to_ns, quantity, flags, amount, currency, price_book, batch_id)
                SELECT fact_id, minute, series_id, source, subject, metric, dimensions, from_at, to_at,
                    from_ns, to_ns, quantity, flags, amount, currency, price_book, \(batchID)
                FROM \(unescaped: Self.stagingTable)
                ORDER BY fact_id, minute
                ON CONFLICT DO NOTHING
                RETURNING series_id, minute, currency, source, subject, metric, quantity, amount
            ), added AS (
                INSERT INTO \(unescaped: schema.minuteTotals) AS t (
                    series_id, minute, currency, source, subject, metric, quantity, amount, fact_count)
                SELECT series_id, minute, currency, min(source), min(subject), min(metric),
                    sum(quantity), sum(amount), count(*)
                FROM new_facts
                GROUP BY series_id, minute, currency
                ON CONFLICT (series_id, minute, currency) DO UPDATE SET
                    quantity = t.quantity + EXCLUDED.quantity,
                    amount = t.amount + EXCLUDED.amount,
                    fact_count = t.fact_count + EXCLUDED.fact_count
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM new_facts), (SELECT count(*) FROM added)
            """
        let rows = try await connection.query(query, logger: logger)
        var counts = (0, 0)
        for try await (facts, totals) in rows.decode((Int64, Int64).self) { counts = (Int(facts), Int(totals)) }
        return counts
    }
}
