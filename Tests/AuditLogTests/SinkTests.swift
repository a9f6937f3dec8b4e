import Core
import Foundation
import TestKit
import Testing

@testable import AuditLog

/// Rotation, tail cuts after crashes, torn lines and replays.
@Suite struct SinkTests {
    /// The usage content of an uninterrupted run of batches 1...n.
    static func uninterrupted(_ n: UInt64, rotateBytes: Int64 = AuditLogOptions.defaultRotateBytes) async throws
        -> [AuditUsageRecord]
    {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let sink = makeSink(dir, rotateBytes: rotateBytes)
        try await sink.open(pipeline: "main", lastCommittedSequence: 0)
        for b in 1...n { try await sink.write(batch(b, facts: standardFacts(b))) }
        return try AuditUsageReader.readAll(path: dir.path)
    }

    /// What tests compare across runs: the facts and their batches, not seq/hash.
    static func content(_ records: [AuditUsageRecord]) -> [[String]] {
        records.map { ["\($0.batch)", $0.fact.id.uuidString, "\($0.fact.quantity)", $0.fact.amount.description] }
    }

    static func lastLine(_ dir: TemporaryDirectory) throws -> String {
        try dir.lines(of: dir.files(endingWith: ".jsonl").last!).last!
    }

    @Test func rotationBySizeKeepsSeqAndChainContinuous() async throws {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let sink = makeSink(dir, rotateBytes: 1024)
        try await sink.open(pipeline: "main", lastCommittedSequence: 0)
        for b: UInt64 in 1...10 { try await sink.write(batch(b, facts: standardFacts(b))) }
        try await sink.close()
        let files = dir.files(endingWith: ".jsonl")
        #expect(files.count >= 4)
        var expectedFirstSeq: UInt64 = 1
        for name in files {
            let lines = try dir.lines(of: name)
            #expect(lines[0].hasPrefix("{\"seq\":\(expectedFirstSeq),\"kind\":\"open\""))
            #expect(name.hasPrefix(String(format: "audit-%020llu-20261101", expectedFirstSeq)))
            expectedFirstSeq += UInt64(lines.count)
        }
        let result = try AuditVerifier.verify(path: dir.path)
        #expect(result.lastSeq == expectedFirstSeq - 1)
        #expect(result.lineCount == Int(result.lastSeq))
        #expect(result.usageLines == 20)
        #expect(result.files.count == files.count)
        #expect(
            Self.content(try AuditUsageReader.readAll(path: dir.path)) == Self.content(try await Self.uninterrupted(10))
        )
    }

    @Test func rotationByUTCDayOfTheWallClock() async throws {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let clock = SettableClock("2026-11-01T23:59:59Z")
        let sink = makeSink(dir, clock: clock)
        try await sink.open(pipeline: "main", lastCommittedSequence: 0)
        try await sink.write(batch(1, facts: standardFacts(1)))
        clock.set("2026-11-02T00:00:01Z")
        try await sink.write(batch(2, facts: standardFacts(2)))
        #expect(
            dir.files(endingWith: ".jsonl") == [
                "audit-00000000000000000001-20261101.jsonl", "audit-00000000000000000004-20261102.jsonl",
            ])
        let second = try dir.lines(of: dir.files(endingWith: ".jsonl")[1])
        #expect(second[0].contains("\"previous_file\":\"audit-00000000000000000001-20261101.jsonl\""))
        #expect(try AuditVerifier.verify(path: dir.path).lastSeq == 6)
    }

    @Test func uncommittedTailIsCutAndRewrittenIdentically() async throws {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let first = makeSink(dir, fsync: true)
        try await first.open(pipeline: "main", lastCommittedSequence: 0)
        for b: UInt64 in 1...3 { try await first.write(batch(b, facts: standardFacts(b))) }
        // Crash: the state store committed batch 2 only. A new process opens.
        let second = makeSink(dir, fsync: true)
        try await second.open(pipeline: "main", lastCommittedSequence: 2)
        let afterCut = try AuditUsageReader.readAll(path: dir.path)
        #expect(afterCut.map(\.batch) == [1, 1, 2, 2])
        let cut = try Self.lastLine(dir)
        #expect(cut.contains("\"kind\":\"cut\""))
        #expect(
            cut.contains("\"committed_batch\":2,\"removed_lines\":2,\"first_removed_seq\":6,\"last_removed_seq\":7"))
        #expect(
            cut.contains("\"first_removed_batch\":3,\"last_removed_batch\":3,\"torn_bytes\":0,\"removed_files\":[]"))
        let verified = try AuditVerifier.verify(path: dir.path)
        #expect(verified.cutLines == 1)
        #expect(verified.lastSeq == 6)

        try await second.write(batch(3, facts: standardFacts(3)))
        #expect(
            Self.content(try AuditUsageReader.readAll(path: dir.path)) == Self.content(try await Self.uninterrupted(3)))
        #expect(try AuditVerifier.verify(path: dir.path).lastSeq == 8)

        // Opening again at the same committed point cuts nothing.
        let third = makeSink(dir, fsync: true)
        try await third.open(pipeline: "main", lastCommittedSequence: 3)
        let again = try AuditVerifier.verify(path: dir.path)
        #expect(again.lastSeq == 8)
        #expect(again.cutLines == 1)
    }

    @Test func openingTwiceWithTheSameCommitCutsOnce() async throws {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let first = makeSink(dir)
        try await first.open(pipeline: "main", lastCommittedSequence: 0)
        for b: UInt64 in 1...3 { try await first.write(batch(b, facts: standardFacts(b))) }
        try await makeSink(dir).open(pipeline: "main", lastCommittedSequence: 1)
        let once = try AuditVerifier.verify(path: dir.path)
        try await makeSink(dir).open(pipeline: "main", lastCommittedSequence: 1)
        let twice = try AuditVerifier.verify(path: dir.path)
        #expect(once == twice)
        #expect(twice.cutLines == 1)
    }

    @Test func tornLastLineIsCut() async throws {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let first = makeSink(dir)
        try await first.open(pipeline: "main", lastCommittedSequence: 0)
        for b: UInt64 in 1...2 { try await first.write(batch(b, facts: standardFacts(b))) }
        let path = dir.path + "/" + dir.files(endingWith: ".jsonl")[0]
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("{\"seq\":6,\"kind\":\"usa".utf8))
        try handle.close()
        let torn = try #require(throws: AuditVerificationError.self) { try AuditVerifier.verify(path: dir.path) }
        #expect(torn.line == 6)
        #expect(torn.problem == .incompleteLine)

        let second = makeSink(dir)
        try await second.open(pipeline: "main", lastCommittedSequence: 2)
        let cut = try Self.lastLine(dir)
        #expect(cut.contains("\"removed_lines\":0,\"first_removed_seq\":null"))
        #expect(cut.contains("\"torn_bytes\":20"))
        #expect(try AuditVerifier.verify(path: dir.path).lastSeq == 6)
        try await second.write(batch(3, facts: standardFacts(3)))
        #expect(
            Self.content(try AuditUsageReader.readAll(path: dir.path)) == Self.content(try await Self.uninterrupted(3)))
    }

    @Test func cutAcrossRotatedFilesRemovesWholeFiles() async throws {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let first = makeSink(dir, rotateBytes: 1024)
        try await first.open(pipeline: "main", lastCommittedSequence: 0)
        for b: UInt64 in 1...8 { try await first.write(batch(b, facts: standardFacts(b))) }
        let before = dir.files(endingWith: ".jsonl")
        let second = makeSink(dir, rotateBytes: 1024)
        try await second.open(pipeline: "main", lastCommittedSequence: 2)
        #expect(dir.files(endingWith: ".jsonl").count < before.count)
        #expect(try AuditUsageReader.readAll(path: dir.path).map(\.batch) == [1, 1, 2, 2])
        let cut = try Self.lastLine(dir)
        #expect(cut.contains("\"first_removed_batch\":3,\"last_removed_batch\":8"))
        #expect(try AuditVerifier.verify(path: dir.path).cutLines == 1)
        for b: UInt64 in 3...8 { try await second.write(batch(b, facts: standardFacts(b))) }
        #expect(
            Self.content(try AuditUsageReader.readAll(path: dir.path)) == Self.content(try await Self.uninterrupted(8)))
        _ = try AuditVerifier.verify(path: dir.path)
    }

    @Test func replayedBatchIsNotDuplicated() async throws {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let sink = makeSink(dir)
        try await sink.open(pipeline: "main", lastCommittedSequence: 0)
        try await sink.write(batch(1, facts: standardFacts(1)))
        try await sink.write(batch(2, facts: standardFacts(2)))
        try await sink.write(batch(2, facts: standardFacts(2)))
        try await sink.write(batch(1, facts: standardFacts(1)))
        #expect(try AuditUsageReader.readAll(path: dir.path).map(\.batch) == [1, 1, 2, 2])
        // After a restart that committed batch 2, a replay of batch 2 is skipped too.
        let restarted = makeSink(dir)
        try await restarted.open(pipeline: "main", lastCommittedSequence: 2)
        try await restarted.write(batch(2, facts: standardFacts(2)))
        try await restarted.write(batch(3, facts: []))
        try await restarted.write(batch(4, facts: standardFacts(4)))
        #expect(try AuditUsageReader.readAll(path: dir.path).map(\.batch) == [1, 1, 2, 2, 4, 4])
    }

    @Test func stateStoreBehindARecordedCutIsRefused() async throws {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let sink = makeSink(dir)
        try await sink.open(pipeline: "main", lastCommittedSequence: 0)
        for b: UInt64 in 1...3 { try await sink.write(batch(b, facts: standardFacts(b))) }
        try await makeSink(dir).open(pipeline: "main", lastCommittedSequence: 2)
        let error = await #expect(throws: PluginError.self) {
            try await makeSink(dir).open(pipeline: "main", lastCommittedSequence: 1)
        }
        #expect(error?.kind == .permanent)
    }

    @Test func anotherPipelinesDirectoryIsRefused() async throws {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let sink = makeSink(dir)
        try await sink.open(pipeline: "main", lastCommittedSequence: 0)
        try await sink.write(batch(1, facts: standardFacts(1)))
        let error = await #expect(throws: PluginError.self) {
            try await makeSink(dir).open(pipeline: "other", lastCommittedSequence: 1)
        }
        #expect(error?.kind == .permanent)
        let wrongBatch = await #expect(throws: PluginError.self) {
            try await sink.write(batch(2, facts: standardFacts(2), pipeline: "other"))
        }
        #expect(wrongBatch?.kind == .permanent)
    }

    @Test func everythingUncommittedStartsAFreshChainWithACut() async throws {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let sink = makeSink(dir)
        try await sink.open(pipeline: "main", lastCommittedSequence: 0)
        try await sink.write(batch(1, facts: standardFacts(1)))
        try await makeSink(dir).open(pipeline: "main", lastCommittedSequence: 0)
        let result = try AuditVerifier.verify(path: dir.path)
        #expect(result.lineCount == 2)
        #expect(result.usageLines == 0)
        #expect(result.cutLines == 1)
    }
}
