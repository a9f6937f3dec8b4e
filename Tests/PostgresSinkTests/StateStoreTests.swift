import Core
import Testing

@testable import PostgresSink

/// The PostgreSQL state store on its own: exact round trips, idempotent commits, status without cursor moves.
@Suite struct StateStoreTests {
    @Test func commitThenLoadRoundTripsExactly() async throws {
        try await TestLedger.with { db in
            let store = PostgresStateStore(database: db.database, schema: db.schema)
            #expect(try await store.load(pipeline: "p").lastCommittedSequence == 0)
            var baselines: [SeriesDigest: Baseline] = [:]
            for i in 0..<1_000 {
                baselines[Digest128(high: UInt64(i), low: ~UInt64(i))] = Baseline(
                    time: Timestamp(nanosecondsSinceEpoch: 1_793_491_200_123_456_789 + Int64(i)),
                    value: UInt64.max - UInt64(i))
            }
            let source = SourceState(
                cursor: SourceCursor(json: #"{"cursor":"2026-11-01T00:00:00.123456789Z","page":[1,2]}"#),
                firstMinute: Fixtures.november,
                lastAttemptedAt: Timestamp(nanosecondsSinceEpoch: 1_793_491_260_999_999_999),
                lastSucceededAt: Timestamp(nanosecondsSinceEpoch: 1_793_491_260_000_000_001), lastError: nil,
                consecutiveFailures: 0)
            try await store.commit(
                StateCommit(pipeline: "p", sequence: 41, source: "edge", sourceState: source, baselines: baselines))
            let loaded = try await store.load(pipeline: "p")
            #expect(loaded.lastCommittedSequence == 41)
            #expect(loaded.sources == ["edge": source])
            #expect(loaded.baselines == baselines)

            // Later commits change only the baselines they carry.
            let changed = Digest128(high: 5, low: ~UInt64(5))
            let newer = Baseline(time: Fixtures.november.adding(nanoseconds: 1), value: 3)
            try await store.commit(
                StateCommit(
                    pipeline: "p", sequence: 42, source: "edge", sourceState: source, baselines: [changed: newer]))
            var expected = baselines
            expected[changed] = newer
            #expect(try await store.load(pipeline: "p").baselines == expected)
            #expect(try await store.load(pipeline: "other").baselines.isEmpty)
        }
    }

    @Test func olderOrEqualSequenceIsIgnored() async throws {
        try await TestLedger.with { db in
            let store = PostgresStateStore(database: db.database, schema: db.schema)
            func commit(_ sequence: UInt64, offset: Int) async throws {
                try await store.commit(
                    StateCommit(
                        pipeline: "p", sequence: sequence, source: "s",
                        sourceState: SourceState(cursor: SourceCursor(json: "{\"offset\":\(offset)}")), baselines: [:]))
            }
            try await commit(5, offset: 500)
            try await commit(5, offset: 999)
            try await commit(4, offset: 400)
            let state = try await store.load(pipeline: "p")
            #expect(state.lastCommittedSequence == 5)
            #expect(state.sources["s"]?.cursor?.json == #"{"offset":500}"#)
        }
    }

    @Test func recordStatusKeepsTheCursor() async throws {
        try await TestLedger.with { db in
            let store = PostgresStateStore(database: db.database, schema: db.schema)
            try await store.recordStatus(
                pipeline: "p", source: "s",
                state: SourceState(lastAttemptedAt: Fixtures.november, lastError: "HTTP 503", consecutiveFailures: 1))
            #expect(try await store.load(pipeline: "p").sources["s"]?.cursor == nil)
            try await store.commit(
                StateCommit(
                    pipeline: "p", sequence: 1, source: "s",
                    sourceState: SourceState(cursor: SourceCursor(json: #"{"offset":7}"#)), baselines: [:]))
            try await store.recordStatus(
                pipeline: "p", source: "s",
                state: SourceState(
                    cursor: SourceCursor(json: #"{"offset":0}"#), lastAttemptedAt: Fixtures.november,
                    lastError: "timeout", consecutiveFailures: 3))
            let source = try #require(try await store.load(pipeline: "p").sources["s"])
            #expect(source.cursor?.json == #"{"offset":7}"#)
            #expect(source.lastError == "timeout")
            #expect(source.consecutiveFailures == 3)
        }
    }

    @Test func secondProcessResumesFromTheSameDatabase() async throws {
        try await TestLedger.with { db in
            let sink = db.sink()
            _ = try sink.stateStore(forPipeline: "main")
            try await sink.write(
                Fixtures.batch(
                    [Fixtures.fact(subject: 1, minute: 0, quantity: 1)], sequence: 3, cursor: #"{"offset":3}"#))
            // A second database client (another replica) sees the committed state.
            let other = LedgerDatabase(url: try TestLedger.url, logger: TestLedger.logger)
            let state = try await PostgresStateStore(database: other, schema: db.schema).load(pipeline: "main")
            await other.shutdown()
            #expect(state.lastCommittedSequence == 3)
            #expect(state.sources["edge"]?.cursor?.json == #"{"offset":3}"#)
        }
    }
}
