import Core
import Testing

@testable import PostgresSink

/// The write path against a real server: exact values, idempotent replays,
/// totals from new facts only, the state in the same transaction, COPY at volume.
@Suite struct SinkWriteTests {
    @Test func factIsStoredExactly() async throws {
        try await TestLedger.with { db in
            let fact = Fixtures.fact(
                subject: 7, minute: 3, quantity: UInt64.max, amount: "123456789.000000000000000001",
                flags: [.reset, .gap])
            try await db.sink().write(Fixtures.batch([fact], sequence: 1))
            let row = try await db.strings(
                """
                SELECT concat_ws('|', fact_id, minute AT TIME ZONE 'UTC', series_id, source, subject, metric,
                    dimensions::text, from_at AT TIME ZONE 'UTC', to_ns, quantity, flags, amount, currency, price_book)
                FROM \(db.schema.name).usage_facts
                """)
            let series = SeriesIdentity.id(of: fact.series).uuidString
            #expect(
                row == [
                    "\(fact.id.uuidString)|2026-11-01 00:03:00|\(series)|edge|acct-7|uplink_bytes|"
                        + #"{"env": "prod", "node_id": "edge-1"}|2026-11-01 00:02:30.123456|"#
                        + "\(fact.to.nanosecondsSinceEpoch)|18446744073709551615|3|123456789.000000000000000001|USD|2026-11"
                ])
        }
    }

    @Test func replayingABatchChangesNothing() async throws {
        try await TestLedger.with { db in
            let sink = db.sink()
            _ = try sink.stateStore(forPipeline: "main")
            let batch = Fixtures.batch(Fixtures.grid(subjects: 20, minutes: 30), sequence: 1)
            try await sink.write(batch)
            let first = try await db.snapshot()
            #expect(first.facts.count == 600)
            #expect(first.batches.count == 1)

            try await sink.write(batch)
            try await sink.write(batch)
            #expect(try await db.snapshot() == first)
            #expect(try await db.totalsMismatches() == 0)
        }
    }

    @Test func overlappingBatchAddsOnlyNewFactsToTotals() async throws {
        try await TestLedger.with { db in
            let sink = db.sink()
            let a = Fixtures.grid(subjects: 5, minutes: 10)
            // Batch 2 repeats half of batch 1 and adds second facts to the same minutes.
            let extra = (0..<5).flatMap { s in
                (0..<10).map { m in Fixtures.fact(subject: s, minute: Int64(m), quantity: 7, part: 1) }
            }
            try await sink.write(Fixtures.batch(a, sequence: 1))
            try await sink.write(Fixtures.batch(Array(a.prefix(25)) + extra, sequence: 2))
            #expect(try await db.totalsMismatches() == 0)
            #expect(try await db.integer("SELECT count(*) FROM \(db.schema.name).usage_facts") == 100)
            let batchLog = try await db.strings(
                "SELECT concat_ws('|', sequence, fact_count, inserted_count) FROM \(db.schema.name).batch_log ORDER BY sequence"
            )
            #expect(batchLog == ["1|50|50", "2|75|50"])
            // Exact sum: every quantity of the grid plus 50 × 7.
            let expected = a.reduce(UInt64(0)) { $0 + $1.quantity } + 350
            #expect(
                try await db.strings("SELECT sum(quantity)::text FROM \(db.schema.name).minute_totals") == [
                    "\(expected)"
                ])
        }
    }

    @Test func newFactsInMinutesThatHaveTotalsAreMergedIntoThem() async throws {
        try await TestLedger.with { db in
            let grid = Fixtures.grid(subjects: 4, minutes: 6)
            // Batch 2 is all new facts, but in minutes batch 1 already totalled:
            // the direct COPY of its totals must meet them and merge instead.
            let extra = (0..<4).flatMap { s in
                (0..<6).map { m in Fixtures.fact(subject: s, minute: Int64(m), quantity: 5, part: 1) }
            }
            let writer = LedgerWriter(schema: db.schema, logger: TestLedger.logger)
            let sink = db.sink()
            try await sink.write(Fixtures.batch(grid, sequence: 1))
            let merged = try await db.database.withTransaction(component: "test") { connection in
                try await writer.write(Fixtures.batch(extra, sequence: 2), commitState: false, on: connection)
            }
            #expect(merged.insertedFacts == 24)
            #expect(merged.directTotalsConflicted)
            // New minutes: the direct COPY goes through.
            let later = (0..<4).map { s in Fixtures.fact(subject: s, minute: 30, quantity: 9) }
            let direct = try await db.database.withTransaction(component: "test") { connection in
                try await writer.write(Fixtures.batch(later, sequence: 3), commitState: false, on: connection)
            }
            #expect(!direct.directTotalsConflicted)
            #expect(try await db.totalsMismatches() == 0)
            let expected = grid.reduce(UInt64(0)) { $0 + $1.quantity } + 24 * 5 + 4 * 9
            #expect(
                try await db.strings("SELECT sum(quantity)::text FROM \(db.schema.name).minute_totals") == [
                    "\(expected)"
                ])
            #expect(try await db.integer("SELECT count(*) FROM \(db.schema.name).minute_totals") == 28)
        }
    }

    @Test func eachSeriesIsListedOnceWithItsLabelsByBothWritePaths() async throws {
        try await TestLedger.with { db in
            let sink = db.sink()
            let grid = Fixtures.grid(subjects: 3, minutes: 4)
            try await sink.write(Fixtures.batch(grid, sequence: 1))
            // Known series again (no insert sent), then a replay (the staging path) with one new series.
            try await sink.write(Fixtures.batch([Fixtures.fact(subject: 0, minute: 9, quantity: 1)], sequence: 2))
            let fresh = Fixtures.fact(subject: 42, minute: 1, quantity: 5)
            try await db.sink().write(Fixtures.batch(Array(grid.prefix(2)) + [fresh], sequence: 3))
            let rows = try await db.strings(
                """
                SELECT concat_ws('|', series_id, source, subject, metric, dimensions::text)
                FROM \(db.schema.name).series ORDER BY subject
                """)
            let expected = (Set(grid.map(\.series)).union([fresh.series])).sorted { $0.subject < $1.subject }.map {
                "\(SeriesIdentity.id(of: $0).uuidString)|\($0.source)|\($0.subject)|\($0.metric)|"
                    + #"{"env": "prod", "node_id": "edge-1"}"#
            }
            #expect(rows == expected)
            // Every series of the minute totals has its labels.
            #expect(
                try await db.integer(
                    """
                    SELECT count(*) FROM \(db.schema.name).minute_totals t
                    WHERE NOT EXISTS (SELECT 1 FROM \(db.schema.name).series s WHERE s.series_id = t.series_id)
                    """) == 0)
        }
    }

    @Test func duplicateIdsInsideOneBatchCountOnce() async throws {
        try await TestLedger.with { db in
            let fact = Fixtures.fact(subject: 1, minute: 0, quantity: 10)
            try await db.sink().write(Fixtures.batch([fact, fact, fact], sequence: 1))
            #expect(try await db.strings("SELECT quantity::text FROM \(db.schema.name).minute_totals") == ["10"])
            #expect(try await db.totalsMismatches() == 0)
        }
    }

    @Test func stateCommitsInTheSameTransactionOnlyForItsPipeline() async throws {
        try await TestLedger.with { db in
            let sink = db.sink()
            let store = try sink.stateStore(forPipeline: "main")
            let digest = Digest128(high: 1, low: 2)
            let baseline = Baseline(time: Fixtures.november, value: UInt64.max)
            try await sink.write(
                Fixtures.batch(
                    [Fixtures.fact(subject: 1, minute: 0, quantity: 1)], sequence: 1,
                    cursor: #"{"file":"a.jsonl","offset":120}"#, baselines: [digest: baseline]))
            let state = try await store.load(pipeline: "main")
            #expect(state.lastCommittedSequence == 1)
            #expect(state.sources["edge"]?.cursor == SourceCursor(json: #"{"file":"a.jsonl","offset":120}"#))
            #expect(state.sources["edge"]?.lastAttemptedAt == Fixtures.november.adding(nanoseconds: 5))
            #expect(state.baselines == [digest: baseline])

            // A pipeline this sink does not keep state for: facts written, state untouched.
            try await sink.write(
                Fixtures.batch([Fixtures.fact(subject: 2, minute: 0, quantity: 1)], sequence: 1, pipeline: "other"))
            #expect(try await store.load(pipeline: "other").lastCommittedSequence == 0)

            // The host's own commit after the sink's: idempotent, and an older sequence never rewinds.
            try await store.commit(Fixtures.batch([], sequence: 1).stateCommit)
            try await store.commit(Fixtures.batch([], sequence: 1, cursor: #"{"offset":0}"#).stateCommit)
            #expect(
                try await store.load(pipeline: "main").sources["edge"]?.cursor?.json
                    == #"{"file":"a.jsonl","offset":120}"#)
        }
    }

    @Test func failedWriteLeavesNoTrace() async throws {
        try await TestLedger.with { db in
            let sink = db.sink()
            _ = try sink.stateStore(forPipeline: "main")
            // numeric(38,18) holds at most 20 integer digits: this amount fails inside the transaction.
            var bad = Fixtures.fact(subject: 1, minute: 1, quantity: 1)
            bad.amount = Money(scaled: Int128.max)
            let good = Fixtures.fact(subject: 1, minute: 0, quantity: 1)
            let error = await #expect(throws: PluginError.self) {
                try await sink.write(Fixtures.batch([good, bad], sequence: 1))
            }
            #expect(error?.kind == .permanent)
            #expect(try await db.snapshot() == LedgerSnapshot(facts: [], totals: [], batches: []))
            #expect(
                try await PostgresStateStore(database: db.database, schema: db.schema).load(pipeline: "main")
                    .lastCommittedSequence == 0)
        }
    }

    @Test func partitionForANewMonthIsCreatedOnDemand() async throws {
        try await TestLedger.with { db in
            // 2031-03-01: years after the partitions migrate made.
            let march2031 = Timestamp(secondsSinceEpoch: 1_930_089_600)
            let facts = [
                Fixtures.fact(subject: 1, minute: 0, quantity: 5, start: march2031),
                Fixtures.fact(subject: 1, minute: -1, quantity: 6, start: march2031),  // 2031-02-28T23:59
            ]
            try await db.sink().write(Fixtures.batch(facts, sequence: 1))
            // The pool's search path is the test's schema, so partition names come unqualified.
            let placed = try await db.strings(
                "SELECT tableoid::regclass::text || ':' || quantity FROM \(db.schema.name).usage_facts ORDER BY 1")
            #expect(placed == ["usage_facts_y2031m02:6", "usage_facts_y2031m03:5"])
        }
    }

    @Test func copyPathWritesAHundredThousandFacts() async throws {
        try await TestLedger.with { db in
            let facts = Fixtures.grid(subjects: 1_000, minutes: 100)
            let sink = db.sink()
            try await sink.write(Fixtures.batch(facts, sequence: 1))
            #expect(try await db.integer("SELECT count(*) FROM \(db.schema.name).usage_facts") == 100_000)
            #expect(try await db.integer("SELECT count(*) FROM \(db.schema.name).minute_totals") == 100_000)
            #expect(try await db.totalsMismatches() == 0)
            let expected = facts.reduce(UInt64(0)) { $0 + $1.quantity }
            #expect(
                try await db.strings("SELECT sum(quantity)::text FROM \(db.schema.name).usage_facts") == ["\(expected)"]
            )
            // The replay of all 100k inserts nothing.
            try await sink.write(Fixtures.batch(facts, sequence: 1))
            #expect(try await db.strings("SELECT inserted_count::text FROM \(db.schema.name).batch_log") == ["100000"])
            #expect(try await db.integer("SELECT count(*) FROM \(db.schema.name).usage_facts") == 100_000)
        }
    }

    /// Labels hold no control characters (LabelRules), but COPY text and JSON
    /// still have their own specials: backslash, quotes, delimiters, non-ASCII.
    @Test func labelsWithCopyAndJSONSpecialCharactersRoundTrip() async throws {
        try await TestLedger.with { db in
            let series = SeriesKey(
                source: "s\\1", subject: "a b,c\"d\\N", metric: "tokens",
                dimensions: [Dimension("k\"ey", "v\\al|\\t"), Dimension("é", "🙂")])
            let fact = UsageFact(
                id: Digest128(high: 9, low: 9), series: series, from: Fixtures.november, to: Fixtures.november,
                minute: Fixtures.november, quantity: 1)
            try await db.sink().write(Fixtures.batch([fact], sequence: 1))
            let row = try await db.strings(
                """
                SELECT concat_ws('|', source, subject, dimensions->>'k"ey', dimensions->>'é')
                FROM \(db.schema.name).usage_facts
                """)
            #expect(row == ["s\\1|a b,c\"d\\N|v\\al|\\t|🙂"])
        }
    }

    /// What COPY would once have escaped (a tab, a newline) the sink now refuses
    /// before any I/O, as the decoders do: nothing reaches the ledger.
    @Test(arguments: ["a\tb", "a\nb", "a\rb", "a\u{1}b"])
    func controlCharacterInALabelIsAPermanentErrorBeforeAnyIO(subject: String) async throws {
        try await TestLedger.with { db in
            var fact = Fixtures.fact(subject: 1, minute: 0, quantity: 1)
            fact.series = SeriesKey(source: "edge", subject: subject, metric: "uplink_bytes")
            let error = await #expect(throws: PluginError.self) {
                try await db.sink().write(Fixtures.batch([fact], sequence: 1))
            }
            #expect(error?.kind == .permanent)
            let batches = try await db.integer("SELECT count(*) FROM \(db.schema.name).batch_log")
            #expect(batches == 0)
        }
    }

    @Test func nulCharacterIsAPermanentErrorBeforeAnyIO() async throws {
        try await TestLedger.with { db in
            var fact = Fixtures.fact(subject: 1, minute: 0, quantity: 1)
            fact.series = SeriesKey(source: "edge", subject: "a\u{0}b", metric: "uplink_bytes")
            let error = await #expect(throws: PluginError.self) {
                try await db.sink().write(Fixtures.batch([fact], sequence: 1))
            }
            #expect(error?.kind == .permanent)
        }
    }
}
