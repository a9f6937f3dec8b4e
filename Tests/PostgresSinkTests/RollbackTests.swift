import Core
import Testing

@testable import PostgresSink

/// FactSink's rollback contract for the ledger (issue 12, item 2): a batch the
/// pipeline never committed leaves no fact, no total and no batch log row.
@Suite struct RollbackTests {
    @Test("rolling back removes the uncommitted batches' facts and their share of the totals, nothing else")
    func uncommittedBatchesAreRemoved() async throws {
        try await TestLedger.with { db in
            // The state lives elsewhere (a file store): the sink writes facts only.
            let sink = db.sink()
            let committed = Fixtures.grid(subjects: 4, minutes: 5)
            try await sink.write(Fixtures.batch(committed, sequence: 1))
            let afterFirst = try await db.snapshot()

            // Batch 2 adds to batch 1's minutes and repeats some of its facts;
            // batch 3 is all new. Neither is committed by the state store.
            let overlapping =
                Array(committed.prefix(6))
                + (0..<4).map { Fixtures.fact(subject: $0, minute: 2, quantity: 11, part: 1) }
            try await sink.write(Fixtures.batch(overlapping, sequence: 2))
            try await sink.write(
                Fixtures.batch((0..<3).map { Fixtures.fact(subject: $0, minute: 9, quantity: 5) }, sequence: 3))
            #expect(try await db.snapshot() != afterFirst)

            try await sink.rollBack(pipeline: "main", toCommitted: 1)
            #expect(try await db.snapshot() == afterFirst)
            #expect(try await db.totalsMismatches() == 0)
            // Idempotent, and it leaves other pipelines alone.
            try await sink.write(
                Fixtures.batch([Fixtures.fact(subject: 9, minute: 1, quantity: 3)], sequence: 1, pipeline: "other"))
            let withOther = try await db.snapshot()
            try await sink.rollBack(pipeline: "main", toCommitted: 1)
            #expect(try await db.snapshot() == withOther)

            // The sequence is free again: a different batch 2 is new, and exact.
            let retried = (0..<4).map { Fixtures.fact(subject: $0, minute: 3, quantity: 13, part: 2) }
            try await sink.write(Fixtures.batch(retried, sequence: 2))
            #expect(try await db.totalsMismatches() == 0)
            let expected = committed.reduce(UInt64(0)) { $0 + $1.quantity } + 3 + 4 * 13
            #expect(
                try await db.strings("SELECT sum(quantity)::text FROM \(db.schema.name).minute_totals") == [
                    "\(expected)"
                ])
            #expect(
                try await db.strings(
                    "SELECT concat_ws('|', pipeline, sequence, inserted_count) FROM \(db.schema.name).batch_log ORDER BY pipeline, sequence"
                ) == ["main|1|20", "main|2|4", "other|1|1"])
        }
    }

    @Test("opening the sink undoes what a dead process wrote after its last committed batch")
    func openRollsBack() async throws {
        try await TestLedger.with { db in
            let sink = db.sink()
            try await sink.write(Fixtures.batch(Fixtures.grid(subjects: 2, minutes: 3), sequence: 1))
            let afterFirst = try await db.snapshot()
            try await sink.write(
                Fixtures.batch(
                    Fixtures.grid(
                        subjects: 2, minutes: 3, start: Fixtures.november.adding(nanoseconds: 3_600_000_000_000)),
                    sequence: 2))
            try await db.sink().open(pipeline: "main", lastCommittedSequence: 1)
            #expect(try await db.snapshot() == afterFirst)
        }
    }

    @Test("a ledger far ahead of the state store is refused, not emptied: the state does not belong to it")
    func foreignStateIsRefused() async throws {
        try await TestLedger.with { db in
            let sink = db.sink()
            for sequence: UInt64 in 1...4 {
                try await sink.write(
                    Fixtures.batch(
                        [Fixtures.fact(subject: Int(sequence), minute: 1, quantity: sequence)], sequence: sequence))
            }
            let before = try await db.snapshot()
            // A state file deleted or restored from an old backup says batch 1.
            let error = await #expect(throws: PluginError.self) {
                try await db.sink().open(pipeline: "main", lastCommittedSequence: 1)
            }
            #expect(error?.kind == .permanent)
            #expect(error?.message.contains("does not belong") == true, "\(String(describing: error))")
            #expect(try await db.snapshot() == before)
        }
    }
}
