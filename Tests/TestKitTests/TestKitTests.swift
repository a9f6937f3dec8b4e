import Core
import Foundation
import Logging
import Metrics
import TestKit
import Testing

/// The kit every test target leans on does what its doc comments say, so a
/// failure elsewhere is never the kit's.
@Suite struct TestKitTests {
    @Test func settableClockMovesAndFixedClockDoesNot() {
        let fixed = FixedClock("2026-11-01T12:00:00Z")
        #expect(fixed.now() == Timestamp(secondsSinceEpoch: 1_793_534_400))
        let clock = SettableClock("2026-11-01T12:00:00Z")
        clock.advance(nanoseconds: Timestamp.nanosecondsPerMinute)
        #expect(clock.now() == Timestamp(secondsSinceEpoch: 1_793_534_460))
        clock.set("2026-01-01T00:00:00Z")
        #expect(clock.now() == Timestamp(secondsSinceEpoch: 1_767_225_600))
    }

    @Test func temporaryDirectoryWritesListsReadsAndRemoves() throws {
        let dir = try TemporaryDirectory("kit")
        try dir.write("a\nb\n", to: "one.jsonl")
        try dir.write("last line without newline\nc", to: "two.txt")
        #expect(dir.files() == ["one.jsonl", "two.txt"])
        #expect(dir.files(endingWith: ".jsonl") == ["one.jsonl"])
        #expect(try dir.lines(of: "one.jsonl") == ["a", "b"])
        #expect(try dir.lines(of: "two.txt") == ["last line without newline", "c"])
        dir.remove()
        #expect(!FileManager.default.fileExists(atPath: dir.path))
    }

    @Test func repositoryRootHoldsThePackage() {
        #expect(FileManager.default.fileExists(atPath: Repository.path("Package.swift")))
        #expect(FileManager.default.fileExists(atPath: Repository.path("Tests/TestKit/Repository.swift")))
    }

    @Test func contextReadsOnlyTheGivenEnvironment() {
        let context = PluginContext.testing(baseDirectory: "/etc/billing", environment: ["TOKEN": "t"])
        #expect(context.environment("TOKEN") == "t")
        #expect(context.environment("PATH") == nil)
        #expect(context.resolve(path: "var/audit") == "/etc/billing/var/audit")
    }

    @Test func logCaptureKeepsLevelMessageAndMetadataFromManyTasks() async {
        let capture = LogCapture(level: .info)
        var logger = capture.logger
        logger[metadataKey: "pipeline"] = "main"
        let shared = logger
        await withTaskGroup(of: Void.self) { group in
            for n in 0..<50 {
                group.addTask { shared.info("batch \(n)", metadata: ["n": "\(n)"]) }
            }
        }
        shared.debug("below the level")
        shared.error("failed")
        let records = capture.records
        #expect(records.count == 51)
        #expect(records.filter { $0.level == .info }.count == 50)
        #expect(records.allSatisfy { $0.metadata["pipeline"] == "main" })
        #expect(Set(records.compactMap { $0.metadata["n"] }).count == 50)
        #expect(capture.messages(at: .error) == ["failed"])
        capture.clear()
        #expect(capture.records.isEmpty)
    }

    @Test func metricsCaptureKeepsCountersGaugesAndTimersByDimensions() async {
        let capture = MetricsCapture()
        let factory = capture.factory
        await withTaskGroup(of: Void.self) { group in
            for n in 0..<40 {
                group.addTask {
                    Counter(label: "batches", dimensions: [("pipeline", n % 2 == 0 ? "a" : "b")], factory: factory)
                        .increment(by: 2)
                }
            }
        }
        Gauge(label: "lag", dimensions: [("source", "edge")], factory: factory).record(7)
        Timer(label: "write", factory: factory).recordNanoseconds(1_500)
        #expect(capture.counter("batches", [("pipeline", "a")]) == 40)
        #expect(capture.counter("batches", [("pipeline", "b")]) == 40)
        #expect(capture.counter("batches", [("pipeline", "c")]) == nil)
        #expect(capture.gauge("lag", [("source", "edge")]) == 7)
        #expect(capture.timer("write") == [1_500])
        #expect(capture.labels == ["batches", "lag", "write"])
    }

    @Test func testDatabaseIsMadeQueriedAndDropped() async throws {
        let admin = try TestDatabase.serverURL()
        let name = try await TestDatabase.with("kit") { db in
            #expect(try await db.query("SELECT 1 + 1") == "2\n")
            try await TestDatabase.psql(db.url, "CREATE TABLE t (v int); INSERT INTO t VALUES (1), (2)")
            #expect(try await db.rows("SELECT v FROM t ORDER BY v") == ["1", "2"])
            return db.name
        }
        let left = try await TestDatabase.rows(admin, "SELECT count(*) FROM pg_database WHERE datname = '\(name)'")
        #expect(left == ["0"])
        await #expect(throws: TestKitError.self) { try await TestDatabase.psql(admin, "SELECT * FROM no_such_table") }
    }
}
