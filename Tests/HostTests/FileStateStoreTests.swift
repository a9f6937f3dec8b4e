import Core
import Foundation
import TestKit
import Testing

@testable import Host

@Suite struct FileStateStoreTests {
    func commit(_ sequence: UInt64, source: String = "s", baselines: [(UInt64, Int64, UInt64)]) -> StateCommit {
        var map: [SeriesDigest: Baseline] = [:]
        for (key, time, value) in baselines {
            map[SeriesDigest(high: key, low: key &* 31)] = Baseline(
                time: Timestamp(nanosecondsSinceEpoch: time), value: value)
        }
        let cursor = SourceCursor(json: "{\"offset\":\(sequence * 100)}")
        return StateCommit(
            pipeline: "main", sequence: sequence, source: source,
            sourceState: SourceState(cursor: cursor, firstMinute: Timestamp(secondsSinceEpoch: 60)),
            baselines: map)
    }

    @Test func commitsSurviveAReopen() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = FileStateStore(directory: dir.path)
        _ = try await store.load(pipeline: "main")
        try await store.commit(commit(1, baselines: [(1, 10, 100), (2, 10, 200)]))
        try await store.commit(commit(2, baselines: [(1, 20, 150)]))

        let reopened = try await FileStateStore(directory: dir.path).load(pipeline: "main")
        #expect(reopened.lastCommittedSequence == 2)
        #expect(reopened.baselines.count == 2)
        #expect(reopened.baselines[SeriesDigest(high: 1, low: 31)]?.value == 150)
        #expect(reopened.baselines[SeriesDigest(high: 2, low: 62)]?.value == 200)
        #expect(reopened.sources["s"]?.cursor?.json == "{\"offset\":200}")
        #expect(reopened.sources["s"]?.firstMinute == Timestamp(secondsSinceEpoch: 60))
    }

    @Test func aTornLastRecordIsCutAndTheRestKept() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = FileStateStore(directory: dir.path)
        _ = try await store.load(pipeline: "main")
        try await store.commit(commit(1, baselines: [(1, 10, 100)]))
        let journal = dir.file("main/journal.bin")
        let goodSize = try #require(FileManager.default.attributesOfItem(atPath: journal)[.size] as? Int)
        try await store.commit(commit(2, baselines: [(1, 20, 999), (3, 20, 5)]))
        // Simulate a crash in the middle of the second append: keep half of its bytes.
        let bytes = try #require(FileManager.default.contents(atPath: journal))
        let torn = bytes.prefix(goodSize + (bytes.count - goodSize) / 2)
        try Data(torn).write(to: URL(fileURLWithPath: journal))

        let reopened = try await FileStateStore(directory: dir.path).load(pipeline: "main")
        #expect(reopened.lastCommittedSequence == 1)
        #expect(reopened.baselines[SeriesDigest(high: 1, low: 31)]?.value == 100)
        #expect(reopened.baselines[SeriesDigest(high: 3, low: 93)] == nil)
        let size = try #require(FileManager.default.attributesOfItem(atPath: journal)[.size] as? Int)
        #expect(size == goodSize)
    }

    @Test func aFlippedByteInTheLastRecordFailsItsChecksum() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = FileStateStore(directory: dir.path)
        _ = try await store.load(pipeline: "main")
        try await store.commit(commit(1, baselines: [(1, 10, 100)]))
        try await store.commit(commit(2, baselines: [(1, 20, 300)]))
        let journal = dir.file("main/journal.bin")
        var bytes = try #require(FileManager.default.contents(atPath: journal))
        bytes[bytes.count - 12] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: journal))
        let reopened = try await FileStateStore(directory: dir.path).load(pipeline: "main")
        #expect(reopened.lastCommittedSequence == 1)
        #expect(reopened.baselines[SeriesDigest(high: 1, low: 31)]?.value == 100)
    }

    @Test func compactionFoldsTheJournalIntoASnapshot() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = FileStateStore(directory: dir.path, compactionBytes: 256)
        var state = try await store.load(pipeline: "main")
        for sequence in UInt64(1)...20 {
            let c = commit(
                sequence, baselines: [(sequence, Int64(sequence), sequence * 10), (1, Int64(sequence), sequence)])
            try await store.commit(c)
            state.apply(c)
            try await store.checkpoint(pipeline: "main", state: state)
        }
        let snapshot = dir.file("main/snapshot.bin")
        #expect(FileManager.default.fileExists(atPath: snapshot))
        let journalSize = try #require(
            FileManager.default.attributesOfItem(atPath: dir.file("main/journal.bin"))[.size] as? Int)
        #expect(journalSize <= 256 + 200)

        let reopened = try await FileStateStore(directory: dir.path).load(pipeline: "main")
        #expect(reopened.lastCommittedSequence == 20)
        #expect(reopened.baselines == state.baselines)
        #expect(reopened.sources == state.sources)
    }

    @Test func aCorruptSnapshotRefusesToStartRatherThanBillingFromZero() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = FileStateStore(directory: dir.path)
        var state = try await store.load(pipeline: "main")
        let c = commit(1, baselines: [(1, 10, 100)])
        try await store.commit(c)
        state.apply(c)
        try await store.writeSnapshot(pipeline: "main", state: state)
        let snapshot = dir.file("main/snapshot.bin")
        var bytes = try #require(FileManager.default.contents(atPath: snapshot))
        bytes[bytes.count - 20] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: snapshot))
        await #expect(throws: StateStoreError.self) {
            _ = try await FileStateStore(directory: dir.path).load(pipeline: "main")
        }
    }

    @Test func statusRecordsKeepTheCursor() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = FileStateStore(directory: dir.path)
        _ = try await store.load(pipeline: "main")
        try await store.commit(commit(1, baselines: [(1, 10, 100)]))
        var failed = commit(1, baselines: []).sourceState
        failed.lastError = "HTTP 500"
        failed.consecutiveFailures = 3
        try await store.recordStatus(pipeline: "main", source: "s", state: failed)
        let reopened = try await FileStateStore(directory: dir.path).load(pipeline: "main")
        #expect(reopened.lastCommittedSequence == 1)
        #expect(reopened.sources["s"]?.lastError == "HTTP 500")
        #expect(reopened.sources["s"]?.consecutiveFailures == 3)
    }
}
