import Core
import Foundation
import TestKit
import Testing

@testable import AuditLog

/// FactSink's rollback contract for the audit sink, and the verifier's
/// duplicate-fact check (issue 12, item 2).
@Suite struct RollbackTests {
    @Test("a rolled-back batch is cut, so the next batch with its sequence is written, not skipped as a replay")
    func rolledBackBatchIsCut() async throws {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let sink = makeSink(dir)
        try await sink.open(pipeline: "main", lastCommittedSequence: 0)
        try await sink.write(batch(1, facts: standardFacts(1)))
        // Batch 2 reaches the audit file, then fails in the ledger: never committed.
        try await sink.write(batch(2, facts: standardFacts(7)))
        try await sink.rollBack(pipeline: "main", toCommitted: 1)
        // The pipeline meters again from the committed baselines: batch 2 has other facts now.
        try await sink.write(batch(2, facts: standardFacts(2)))
        try await sink.write(batch(3, facts: standardFacts(3)))

        let records = try AuditUsageReader.readAll(path: dir.path)
        #expect(records.map(\.batch) == [1, 1, 2, 2, 3, 3])
        #expect(SinkTests.content(records) == SinkTests.content(try await SinkTests.uninterrupted(3)))
        let verified = try AuditVerifier.verify(path: dir.path)
        #expect(verified.cutLines == 1)
        let cut = try #require(
            try dir.lines(of: dir.files(endingWith: ".jsonl")[0]).first { $0.contains("\"kind\":\"cut\"") })
        #expect(cut.contains("\"committed_batch\":1"))
        #expect(cut.contains("\"removed_lines\":2"))
        #expect(cut.contains("rolled back"))
    }

    @Test("a rollback with nothing after the committed batch writes nothing")
    func rollbackOfNothingIsANoOp() async throws {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let sink = makeSink(dir)
        try await sink.open(pipeline: "main", lastCommittedSequence: 0)
        try await sink.write(batch(1, facts: standardFacts(1)))
        let before = try dir.lines(of: dir.files(endingWith: ".jsonl")[0])
        try await sink.rollBack(pipeline: "main", toCommitted: 1)
        try await sink.rollBack(pipeline: "main", toCommitted: 1)
        #expect(try dir.lines(of: dir.files(endingWith: ".jsonl")[0]) == before)
        // And the sink still appends after it.
        try await sink.write(batch(2, facts: standardFacts(2)))
        #expect(try AuditUsageReader.readAll(path: dir.path).map(\.batch) == [1, 1, 2, 2])
    }

    @Test("verify names a fact written twice, on the fast and the slow path, and rate's reader refuses it")
    func duplicateFactIsAnError() async throws {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let sink = makeSink(dir)
        try await sink.open(pipeline: "main", lastCommittedSequence: 0)
        try await sink.write(batch(1, facts: standardFacts(1)))
        try await sink.write(batch(2, facts: standardFacts(2)))
        // What the old failure path produced: a retried body's facts again as a new batch.
        try await sink.write(batch(3, facts: [fact(21)]))
        let duplicate = fact(21).id.uuidString
        for fast in [true, false] {
            let error = try #require(throws: AuditVerificationError.self) {
                try AuditVerifier.verify(path: dir.path, fastPath: fast)
            }
            #expect(error.problem == .duplicateFactID(duplicate), "fast path: \(fast)")
            // Lines: open, 2 + 2 usage, then the duplicate.
            #expect(error.line == 6, "fast path: \(fast)")
        }
        #expect(throws: AuditVerificationError.self) { try AuditUsageReader.readAll(path: dir.path) }
    }
}
