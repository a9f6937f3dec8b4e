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
    /// True when a direct COPY of the batch's minute totals met rows that
    /// already existed and the totals were merged instead: a hint for the next batch.
    public var directTotalsConflicted: Bool = false
    /// Series whose labels this write sent to the `series` table.
    var newSeries: [Digest128] = []
}

/// The SQL of one batch write, run inside the caller's transaction: batch log
/// row → the facts → their minute totals → optionally the pipeline state.
/// Facts go by one of two paths: a new batch is COPYed straight into the facts
/// table under a savepoint and its totals summed on the client; when that COPY
/// meets an existing fact (a replay), it is undone and the batch is COPYed into a
/// temporary staging table, inserted `ON CONFLICT DO NOTHING RETURNING`, and only
/// the returned facts are added to the totals. Replaying a batch changes nothing.
/// The totals of an all-new batch go the same way: COPYed straight into the
/// totals table under a savepoint when none of their (series, minute) rows
/// exists yet, otherwise merged by an upsert from a staging table.
struct LedgerWriter {
    let schema: LedgerSchema
    let logger: Logger
    /// Whether to try COPYing an all-new batch's totals straight into the totals
    /// table; the sink turns it off for a while after a batch whose minutes
    /// already had totals (frequent snapshots of the same minute).
    var tryDirectTotals = true
    /// Series already in the `series` table (nil: send every series of a batch).
    var knownSeries: KnownSeries? = nil

    static let stagingTable = "billing_fact_staging"

    func write(_ batch: FactBatch, commitState: Bool, on connection: PostgresConnection) async throws
        -> LedgerWriteResult
    {
        let (batchID, newBatch) = try await batchLogRow(batch, on: connection)
        var inserted = 0
        var totals = 0
        var totalsConflicted = false
        var newSeries: [Digest128] = []
        if !batch.facts.isEmpty {
            // A new batch is almost always all new facts: COPY them straight into the
            // facts table (as fast as a plain bulk load) and add client-side sums to
            // the minute totals. A fact that already exists (a replay after a crash,
            // a duplicate inside the batch) fails the COPY with a unique violation;
            // the savepoint undoes it and the batch takes the staging path, which
            // inserts only the new facts. Either way the outcome is the same.
            var fastDone = false
            var encoder = FactCopyEncoder()
            var sums = MinuteTotalsCopyEncoder()
            if newBatch {
                // postgres-nio quotes a COPY table name as one identifier, so the
                // schema comes from the connection's search path, which
                // LedgerDatabase sets to the sink's schema when it connects.
                fastDone = try await writeAllNew(
                    batch.facts, batchID: batchID, encoder: &encoder, totals: &sums, on: connection)
            }
            if fastDone {
                inserted = batch.facts.count
                totals = sums.count
                sums.sort(series: encoder.series)
                var direct = false
                if tryDirectTotals { direct = try await copyNewTotals(sums, series: encoder.series, on: connection) }
                totalsConflicted = tryDirectTotals && !direct
                if !direct { try await addTotals(sums.rows(series: encoder.series), on: connection) }
                newSeries = try await insertSeries(encoder.series, on: connection)
            } else {
                try await stage(batch.facts, on: connection)
                (inserted, totals) = try await insertNewFacts(batchID: batchID, on: connection)
                try await insertStagedSeries(on: connection)
            }
            if newBatch, inserted != batch.facts.count {
                // The row was inserted counting every fact as new.
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
            stateCommitted: stateCommitted, directTotalsConflicted: totalsConflicted, newSeries: newSeries)
    }

    static let fastPathSavepoint = "billing_all_new"
    static let totalsStagingTable = "billing_totals_staging"

    /// COPYs the facts (with their batch id) into the facts table, encoding each
    /// chunk while the server parses the one before and summing each sent chunk
    /// into `totals`; false (and nothing written) when one of them already exists.
    private func writeAllNew(
        _ facts: [UsageFact], batchID: Int64, encoder: inout FactCopyEncoder,
        totals: inout MinuteTotalsCopyEncoder, on connection: PostgresConnection
    ) async throws -> Bool {
        try await copyUnlessPresent(
            into: LedgerSchema.factsTableName, columns: FactCopyEncoder.columnsWithBatch, on: connection
        ) { writer in
            encoder.startFacts(count: facts.count)
            var position = 0
            while position < facts.count {
                let start = position
                let chunk = encoder.nextChunk(of: facts, from: &position, batchID: batchID)
                try await writer.write(chunk)
                totals.add(facts[start..<position], seriesNumbers: encoder.seriesOfFacts[start..<position])
            }
        }
    }

    /// COPYs the sums of an all-new batch straight into the totals table, each
    /// chunk encoded while the server parses the one before; false (and nothing
    /// written) when one of their rows already exists.
    private func copyNewTotals(
        _ sums: MinuteTotalsCopyEncoder, series: [FactCopyEncoder.EncodedSeries], on connection: PostgresConnection
    ) async throws -> Bool {
        try await copyUnlessPresent(
            into: LedgerSchema.minuteTotalsTableName, columns: MinuteTotalsCopyEncoder.columns, on: connection
        ) { writer in
            var position = 0
            while position < sums.count { try await writer.write(sums.nextChunk(from: &position, series: series)) }
        }
    }

    /// COPYs what `send` writes into a ledger table (found through the
    /// connection's search path, the sink's schema) under a savepoint; a unique
    /// violation (a row already there) rolls it back and answers false.
    private func copyUnlessPresent(
        into table: String, columns: [String], on connection: PostgresConnection,
        _ send: (PostgresCopyFromWriter) async throws -> Void
    ) async throws -> Bool {
        try await connection.query("SAVEPOINT \(unescaped: Self.fastPathSavepoint)", logger: logger)
        do {
            try await connection.copyFrom(table: table, columns: columns, logger: logger, writeData: send)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            try await connection.query("ROLLBACK TO SAVEPOINT \(unescaped: Self.fastPathSavepoint)", logger: logger)
            return false
        }
        try await connection.query("RELEASE SAVEPOINT \(unescaped: Self.fastPathSavepoint)", logger: logger)
        return true
    }

    /// Adds the client-side sums of a batch's facts, all new, to minute totals
    /// that may already hold some of their (series, minute) rows.
    private func addTotals(_ rows: [ByteBuffer], on connection: PostgresConnection) async throws {
        try await copy(
            rows, into: Self.totalsStagingTable, columns: MinuteTotalsCopyEncoder.columns,
            definition: """
                series_id uuid NOT NULL, minute timestamptz NOT NULL, currency text NOT NULL,
                source text NOT NULL, subject text NOT NULL, metric text NOT NULL,
                quantity numeric(39,0) NOT NULL, amount numeric(38,18) NOT NULL, fact_count bigint NOT NULL
                """, on: connection)
        try await connection.query(
            """
            INSERT INTO \(unescaped: schema.minuteTotals) AS t (
                series_id, minute, currency, source, subject, metric, quantity, amount, fact_count)
            SELECT series_id, minute, currency, source, subject, metric, quantity, amount, fact_count
            FROM \(unescaped: Self.totalsStagingTable)
            ORDER BY subject, minute, series_id, currency
            ON CONFLICT (subject, minute, series_id, currency) DO UPDATE SET
                quantity = t.quantity + EXCLUDED.quantity,
                amount = t.amount + EXCLUDED.amount,
                fact_count = t.fact_count + EXCLUDED.fact_count
            """, logger: logger)
    }

    /// COPYs `facts` into the temporary staging table (emptied at each commit).
    private func stage(_ facts: [UsageFact], on connection: PostgresConnection) async throws {
        var encoder = FactCopyEncoder()
        try await copy(
            encoder.encode(facts), into: Self.stagingTable, columns: FactCopyEncoder.columns,
            definition: """
                fact_id uuid NOT NULL, minute timestamptz NOT NULL, series_id uuid NOT NULL,
                source text NOT NULL, subject text NOT NULL, metric text NOT NULL,
                dimensions jsonb NOT NULL, from_at timestamptz NOT NULL, to_at timestamptz NOT NULL,
                from_ns bigint NOT NULL, to_ns bigint NOT NULL, quantity numeric(20,0) NOT NULL,
                flags smallint NOT NULL, amount numeric(38,18) NOT NULL, currency text NOT NULL,
                price_book text NOT NULL
                """, on: connection)
    }

    /// COPYs `rows` into a temporary table made on first use with `definition`.
    /// Pooled connections keep the table; ON COMMIT DELETE ROWS empties it at each
    /// commit and a rollback discards this batch's rows.
    private func copy(
        _ rows: [ByteBuffer], into table: String, columns: [String], definition: String,
        on connection: PostgresConnection
    ) async throws {
        try await connection.query(
            PostgresQuery(
                unsafeSQL: "CREATE TEMPORARY TABLE IF NOT EXISTS \(table) (\(definition)) ON COMMIT DELETE ROWS"),
            logger: logger)
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
            for chunk in rows { try await writer.write(chunk) }
        }
    }

    /// Inserts the batch log row, or finds the one a previous write of this batch made.
    private func batchLogRow(_ batch: FactBatch, on connection: PostgresConnection) async throws -> (Int64, Bool) {
        let sequence = Int64(batch.sequence)
        let insert = try await connection.query(
            """
            INSERT INTO \(unescaped: schema.batchLog) (pipeline, sequence, source, fact_count, inserted_count)
            VALUES (\(batch.pipeline), \(sequence), \(batch.source), \(batch.facts.count), \(batch.facts.count))
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
                SELECT series_id, minute, currency, min(source), subject, min(metric),
                    sum(quantity), sum(amount), count(*)
                FROM new_facts
                GROUP BY subject, minute, series_id, currency
                ON CONFLICT (subject, minute, series_id, currency) DO UPDATE SET
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
