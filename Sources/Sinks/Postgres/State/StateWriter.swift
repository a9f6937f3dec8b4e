import Core
import Foundation
import Logging
import PostgresNIO

/// The SQL that reads and writes pipeline state, on a connection the caller
/// owns, so the sink can run it inside its write transaction and the state
/// store in its own.
struct StateWriter {
    let schema: LedgerSchema
    let logger: Logger

    /// Applies `commit` unless the pipeline already committed this sequence or a
    /// later one. Returns whether it advanced. Idempotent.
    func apply(_ commit: StateCommit, on connection: PostgresConnection) async throws -> Bool {
        let sequence = Int64(commit.sequence)
        let advanced = try await connection.query(
            """
            INSERT INTO \(unescaped: schema.pipelineState) AS p (pipeline, last_committed_sequence)
            VALUES (\(commit.pipeline), \(sequence))
            ON CONFLICT (pipeline) DO UPDATE
                SET last_committed_sequence = EXCLUDED.last_committed_sequence, updated_at = now()
                WHERE p.last_committed_sequence < EXCLUDED.last_committed_sequence
            RETURNING 1
            """, logger: logger)
        var moved = false
        for try await _ in advanced.decode(Int.self) { moved = true }
        guard moved else { return false }
        try await upsertSource(
            pipeline: commit.pipeline, source: commit.source, state: commit.sourceState, moveCursor: true,
            on: connection)
        try await upsertBaselines(pipeline: commit.pipeline, commit.baselines, on: connection)
        try await insertRequestKeys(commit, on: connection)
        return true
    }

    /// Records the commit's idempotency keys; a key committed before keeps its
    /// first digest (the pipeline refused a batch with a different one).
    /// Keys are new almost always (the pipeline looked them up first), so they
    /// are COPYed straight in under a savepoint, about twice as fast as an
    /// insert from arrays; one that exists (a retry of a committed record)
    /// fails the COPY with a unique violation, and the insert that skips
    /// existing keys runs instead.
    func insertRequestKeys(_ commit: StateCommit, on connection: PostgresConnection) async throws {
        guard !commit.requestKeys.isEmpty else { return }
        let ids = commit.requestKeys.map {
            RequestKeyID.make(pipeline: commit.pipeline, source: commit.source, key: $0.key)
        }
        var rows = ByteBuffer()
        var line: [UInt8] = []
        for (key, id) in zip(commit.requestKeys, ids) {
            line.removeAll(keepingCapacity: true)
            FactCopyEncoder.appendUUID(id, to: &line)
            line.append(FactCopyEncoder.tab)
            FactCopyEncoder.appendText(commit.pipeline, to: &line)
            line.append(FactCopyEncoder.tab)
            FactCopyEncoder.appendText(commit.source, to: &line)
            line.append(FactCopyEncoder.tab)
            FactCopyEncoder.appendText(key.key, to: &line)
            line.append(FactCopyEncoder.tab)
            FactCopyEncoder.appendText(key.digest, to: &line)
            line.append(FactCopyEncoder.tab)
            FactCopyEncoder.appendInteger(commit.sequence, to: &line)
            line.append(UInt8(ascii: "\n"))
            rows.writeBytes(line)
        }
        try await connection.query("SAVEPOINT billing_new_request_keys", logger: logger)
        do {
            // COPY names the table unqualified: the connection's search path is the ledger schema.
            try await connection.copyFrom(
                table: LedgerSchema.requestKeysTableName,
                columns: ["key_id", "pipeline", "source", "request_id", "digest", "sequence"], logger: logger
            ) { writer in try await writer.write(rows) }
            try await connection.query("RELEASE SAVEPOINT billing_new_request_keys", logger: logger)
            return
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            try await connection.query("ROLLBACK TO SAVEPOINT billing_new_request_keys", logger: logger)
        }
        let uuids = ids.map(\.uuidString)
        let keys = commit.requestKeys.map(\.key)
        let digests = commit.requestKeys.map(\.digest)
        try await connection.query(
            """
            INSERT INTO \(unescaped: schema.requestKeys) (key_id, pipeline, source, request_id, digest, sequence)
            SELECT i, \(commit.pipeline), \(commit.source), k, d, \(Int64(commit.sequence))
            FROM unnest(\(uuids)::uuid[], \(keys)::text[], \(digests)::text[]) AS u(i, k, d)
            ON CONFLICT (key_id) DO NOTHING
            """, logger: logger)
    }

    /// The committed digests of those of `keys` that `source` of `pipeline` sent:
    /// one index probe per key (a plain `= ANY` was planned as a scan of the
    /// whole table while its statistics were still empty).
    func requestDigests(
        pipeline: String, source: String, keys: [String], on connection: PostgresConnection
    ) async throws -> [String: String] {
        let ids = keys.map { RequestKeyID.make(pipeline: pipeline, source: source, key: $0).uuidString }
        let rows = try await connection.query(
            """
            SELECT k.request_id, k.digest FROM unnest(\(ids)::uuid[]) AS u(id)
            CROSS JOIN LATERAL (
                SELECT request_id, digest FROM \(unescaped: schema.requestKeys)
                WHERE key_id = u.id AND pipeline = \(pipeline) AND source = \(source) LIMIT 1
            ) AS k
            """, logger: logger)
        var out: [String: String] = [:]
        for try await (key, digest) in rows.decode((String, String).self) { out[key] = digest }
        return out
    }

    /// Writes a source's row. With `moveCursor` false only the status columns
    /// change (a new row then starts without a cursor).
    func upsertSource(
        pipeline: String, source: String, state: SourceState, moveCursor: Bool, on connection: PostgresConnection
    ) async throws {
        let cursor = state.cursor?.json
        let firstMinute = state.firstMinute?.nanosecondsSinceEpoch
        let attempted = state.lastAttemptedAt?.nanosecondsSinceEpoch
        let succeeded = state.lastSucceededAt?.nanosecondsSinceEpoch
        let failures = state.consecutiveFailures
        if moveCursor {
            try await connection.query(
                """
                INSERT INTO \(unescaped: schema.sourceState) AS s (
                    pipeline, source, cursor, first_minute_ns, last_attempted_ns, last_succeeded_ns,
                    last_error, consecutive_failures)
                VALUES (\(pipeline), \(source), \(cursor)::jsonb, \(firstMinute), \(attempted), \(succeeded),
                    \(state.lastError), \(failures))
                ON CONFLICT (pipeline, source) DO UPDATE SET
                    cursor = EXCLUDED.cursor, first_minute_ns = EXCLUDED.first_minute_ns,
                    last_attempted_ns = EXCLUDED.last_attempted_ns, last_succeeded_ns = EXCLUDED.last_succeeded_ns,
                    last_error = EXCLUDED.last_error, consecutive_failures = EXCLUDED.consecutive_failures,
                    updated_at = now()
                """, logger: logger)
        } else {
            try await connection.query(
                """
                INSERT INTO \(unescaped: schema.sourceState) AS s (
                    pipeline, source, first_minute_ns, last_attempted_ns, last_succeeded_ns,
                    last_error, consecutive_failures)
                VALUES (\(pipeline), \(source), \(firstMinute), \(attempted), \(succeeded),
                    \(state.lastError), \(failures))
                ON CONFLICT (pipeline, source) DO UPDATE SET
                    last_attempted_ns = EXCLUDED.last_attempted_ns, last_succeeded_ns = EXCLUDED.last_succeeded_ns,
                    last_error = EXCLUDED.last_error, consecutive_failures = EXCLUDED.consecutive_failures,
                    updated_at = now()
                """, logger: logger)
        }
    }

    /// Upserts baselines in digest order (a fixed lock order, so two writers cannot deadlock).
    func upsertBaselines(
        pipeline: String, _ baselines: [SeriesDigest: Baseline], on connection: PostgresConnection
    ) async throws {
        guard !baselines.isEmpty else { return }
        let sorted = baselines.sorted { $0.key < $1.key }
        let digests = sorted.map(\.key.uuidString)
        let times = sorted.map(\.value.time.nanosecondsSinceEpoch)
        let values = sorted.map { String($0.value.value) }
        try await connection.query(
            """
            INSERT INTO \(unescaped: schema.baselines) AS b (pipeline, series_digest, time_ns, value)
            SELECT \(pipeline), d, t, v
            FROM unnest(\(digests)::uuid[], \(times)::int8[], \(values)::numeric[]) AS u(d, t, v)
            ON CONFLICT (pipeline, series_digest) DO UPDATE SET time_ns = EXCLUDED.time_ns, value = EXCLUDED.value
            """, logger: logger)
    }

    /// Everything committed for `pipeline`.
    func load(pipeline: String, on connection: PostgresConnection) async throws -> PipelineState {
        var state = PipelineState()
        let sequenceRows = try await connection.query(
            "SELECT last_committed_sequence FROM \(unescaped: schema.pipelineState) WHERE pipeline = \(pipeline)",
            logger: logger)
        for try await sequence in sequenceRows.decode(Int64.self) { state.lastCommittedSequence = UInt64(sequence) }

        let sourceRows = try await connection.query(
            """
            SELECT source, cursor::text, first_minute_ns, last_attempted_ns, last_succeeded_ns, last_error,
                consecutive_failures
            FROM \(unescaped: schema.sourceState) WHERE pipeline = \(pipeline)
            """, logger: logger)
        for try await (source, cursor, first, attempted, succeeded, error, failures) in sourceRows.decode(
            (String, String?, Int64?, Int64?, Int64?, String?, Int32).self)
        {
            state.sources[source] = SourceState(
                cursor: try cursor.map(Self.normalizedCursor),
                firstMinute: first.map(Timestamp.init(nanosecondsSinceEpoch:)),
                lastAttemptedAt: attempted.map(Timestamp.init(nanosecondsSinceEpoch:)),
                lastSucceededAt: succeeded.map(Timestamp.init(nanosecondsSinceEpoch:)),
                lastError: error, consecutiveFailures: Int(failures))
        }

        let baselineRows = try await connection.query(
            """
            SELECT series_digest::text, time_ns, value::text
            FROM \(unescaped: schema.baselines) WHERE pipeline = \(pipeline)
            """, logger: logger)
        for try await (digestText, time, valueText) in baselineRows.decode((String, Int64, String).self) {
            guard let digest = Digest128(hex: digestText), let value = UInt64(valueText) else {
                throw PluginError(
                    .permanent, component: "postgres", "corrupt baseline row \(digestText) in \(schema.baselines)")
            }
            state.baselines[digest] = Baseline(time: Timestamp(nanosecondsSinceEpoch: time), value: value)
        }
        return state
    }

    /// jsonb prints `{"a": 1}`; the adapters wrote compact sorted JSON. Re-encode
    /// through `SourceCursor`'s own Codable so a loaded cursor equals the committed one.
    static func normalizedCursor(_ text: String) throws -> SourceCursor {
        try JSONDecoder().decode(SourceCursor.self, from: Data(text.utf8))
    }
}
