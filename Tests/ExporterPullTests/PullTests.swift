import Core
import FakeExporter
import Foundation
import Rating
import TestKit
import Testing
import WireFormats

@testable import ExporterPull
@testable import Host

@Suite("exporter_pull against a fake exporter on loopback")
struct PullTests {
    @Test("pages through the window with limit, cursor, bearer token and Accept")
    func paging() async throws {
        let server = Scenario.fake(minutes: 45)
        try await server.withRunning { port in
            let harness = try PullHarness(port: port, clock: SettableClock(Scenario.start)) { $0.pageLimit = 7 }
            // First run: now − initial_lookback (00:00) up to now − settle_delay (00:59).
            let summary = try await harness.collect(at: Scenario.at(minutes: 60))
            #expect(summary.failures.isEmpty)
            #expect(summary.observations == 45 * 3 * 2)
            let requests = server.control.requests
            #expect(requests.count == 7)  // 45 snapshots, 7 a page
            #expect(requests.allSatisfy { $0.authorization == "Bearer s3cret" && $0.accept == "application/json" })
            #expect(requests[0].query == "since=2026-01-01T00%3A00%3A00Z&until=2026-01-01T00%3A59%3A00Z&limit=7")
            // The second page resumes after the first page's last collected_at (minute 6, nanoseconds).
            #expect(requests[1].query.hasSuffix("&cursor=2026-01-01T00%3A06%3A00.000000000Z"))
            #expect(try await harness.cursor() == Scenario.at(minutes: 59))
        }
    }

    @Test("the window starts at cursor − overlap and ends at now − settle_delay")
    func windowBounds() async throws {
        let server = Scenario.fake(minutes: 120)
        try await server.withRunning { port in
            let harness = try PullHarness(port: port, clock: SettableClock(Scenario.start))
            try await harness.collect(at: Scenario.at(minutes: 60))
            server.control.clearRequests()
            try await harness.collect(at: Scenario.at(minutes: 71))
            #expect(
                server.control.requests.map(\.query) == [
                    "since=2026-01-01T00%3A57%3A00Z&until=2026-01-01T01%3A10%3A00Z&limit=1000"
                ])
            #expect(try await harness.cursor() == Scenario.at(minutes: 70))
        }
    }

    @Test("a long-running source records each retried failure in its status and clears it on recovery")
    func continuousFailuresAreRecorded() async throws {
        let server = Scenario.fake(minutes: 120)
        try await server.withRunning { port in
            let harness = try PullHarness(port: port, clock: SettableClock(Scenario.at(minutes: 60))) {
                $0.interval = .milliseconds(100)
                $0.attempts = 1
                $0.breakerFailures = 1_000
            }
            server.control.fault = .http500
            let continuous = ExporterPullSource(
                id: "edge", settings: harness.source.settings, context: harness.source.context, mode: .continuous)
            let pipeline = HostConfiguration.Pipeline(id: "pull", sources: [continuous], sinks: [harness.sink])
            let runner = PipelineEngine.finite(
                pipeline: pipeline, store: harness.store, rater: nil, clock: harness.clock,
                logger: harness.source.context.logger)
            let running = Task { try await runner.runToEnd() }
            defer { running.cancel() }
            // Poll the state store (the status of a daemon's source) until two failures are recorded.
            var failing: SourceState?
            for _ in 0..<100 {
                failing = try await harness.sourceState()
                if (failing?.consecutiveFailures ?? 0) >= 2 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect((failing?.consecutiveFailures ?? 0) >= 2)
            #expect(failing?.lastError?.contains("HTTP 500 Internal Server Error") == true)
            #expect(failing?.cursor == nil)
            #expect(harness.sink.facts.isEmpty)

            server.control.fault = nil
            var recovered: SourceState?
            for _ in 0..<100 {
                recovered = try await harness.sourceState()
                if recovered?.cursor != nil { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await harness.cursor() == Scenario.at(minutes: 59))
            #expect(recovered?.consecutiveFailures == 0)
            #expect(recovered?.lastError == nil)
            #expect(!harness.sink.facts.isEmpty)
        }
    }

    static let faults: [(String, FakeExporterFault, String)] = [
        ("HTTP 500", .http500, "HTTP 500 Internal Server Error"),
        ("timeout", .delay(.seconds(6)), "timeout"),
        ("truncated JSON", .truncatedJSON, "invalid window page"),
        ("body over the cap", .oversizedBody(bytes: 200_000), "larger than max_body_bytes"),
        ("wrong node_id", .wrongNodeID("edge-9"), "node_id mismatch"),
        ("401", .unauthorized, "HTTP 401 Unauthorized"),
    ]

    @Test("a fault leaves the cursor where it was, and the next collection recovers fully", arguments: faults)
    func faultThenRecovery(name: String, fault: FakeExporterFault, expected: String) async throws {
        // Reference: the same collections without the fault.
        let reference = Scenario.fake(minutes: 150)
        let referenceFacts = try await reference.withRunning { port in
            let harness = try PullHarness(port: port, clock: SettableClock(Scenario.start)) {
                $0.timeout = .seconds(2)
                $0.maxBodyBytes = 64 << 10
            }
            try await harness.collect(at: Scenario.at(minutes: 60))
            try await harness.collect(at: Scenario.at(minutes: 131))
            return harness.sink.facts.map(FactKey.init).sorted()
        }

        let server = Scenario.fake(minutes: 150)
        try await server.withRunning { port in
            let harness = try PullHarness(port: port, clock: SettableClock(Scenario.start)) {
                $0.timeout = .seconds(2)
                $0.maxBodyBytes = 64 << 10
            }
            try await harness.collect(at: Scenario.at(minutes: 60))
            let before = try await harness.cursor()
            #expect(before == Scenario.at(minutes: 59))

            server.control.fault = fault
            let failed = try await harness.collect(at: Scenario.at(minutes: 101))
            let message = try #require(failed.failures["edge"])
            #expect(message.contains("sources.edge"))
            #expect(message.contains(expected))
            #expect(!message.contains("s3cret"))
            #expect(try await harness.cursor() == before)
            let state = try #require(try await harness.sourceState())
            #expect(state.consecutiveFailures == 1)
            #expect(state.lastError?.contains(expected) == true)

            server.control.fault = nil
            let recovered = try await harness.collect(at: Scenario.at(minutes: 131))
            #expect(recovered.failures.isEmpty)
            #expect(try await harness.cursor() == Scenario.at(minutes: 130))
            #expect(try await harness.sourceState()?.consecutiveFailures == 0)
            #expect(harness.sink.facts.map(FactKey.init).sorted() == referenceFacts)
        }
    }

    @Test("a 6-hour outage followed by catch-up bills exactly what an uninterrupted run bills")
    func outageCatchUp() async throws {
        let minutes = 8 * 60
        let server = Scenario.fake(minutes: minutes + 5)
        try await server.withRunning { port in
            let steady = try PullHarness(port: port, clock: SettableClock(Scenario.start))
            var now: Int64 = 60
            while now <= Int64(minutes) {
                try await steady.collect(at: Scenario.at(minutes: now))
                now += 10
            }
            try await steady.collect(at: Scenario.at(minutes: Int64(minutes) + 1))

            let interrupted = try PullHarness(port: port, clock: SettableClock(Scenario.start))
            try await interrupted.collect(at: Scenario.at(minutes: 60))
            server.control.clearRequests()
            let catchUp = try await interrupted.collect(at: Scenario.at(minutes: 60 + 6 * 60))
            #expect(catchUp.failures.isEmpty)
            #expect(catchUp.batches == 6)  // one 1-hour step a batch
            #expect(server.control.requests.count == 6)
            try await interrupted.collect(at: Scenario.at(minutes: Int64(minutes) + 1))

            let expected = steady.sink.facts.map(FactKey.init).sorted()
            #expect(expected.count > 2 * 3 * (minutes - 2))
            #expect(interrupted.sink.facts.map(FactKey.init).sorted() == expected)
            #expect(Set(expected).count == expected.count)  // the overlap billed nothing twice
        }
    }

    @Test("an exporter counter reset in the middle of a window is billed")
    func counterReset() async throws {
        let server = Scenario.fake(minutes: 60, resetAt: 30)
        try await server.withRunning { port in
            let harness = try PullHarness(port: port, clock: SettableClock(Scenario.start))
            let summary = try await harness.collect(at: Scenario.at(minutes: 61))
            #expect(summary.resets == 2)
            let resets = harness.sink.facts.filter { $0.flags.contains(.reset) }
            #expect(resets.count == 2)
            let byMetric = Dictionary(uniqueKeysWithValues: resets.map { ($0.series.metric, $0.quantity) })
            #expect(byMetric == [XrayMetrics.uplink: 500, XrayMetrics.downlink: 700])
            #expect(resets.allSatisfy { $0.minute == Scenario.at(minutes: 30) })
        }
    }

    @Test("pulling a scenario bills the same totals as replaying its fixture with file_replay")
    func pullEqualsReplay() async throws {
        let snapshots = Scenario.snapshots(minutes: 180, resetAt: 77)
        let server = FakeExporterServer(
            scenario: FakeExporterScenario(nodeID: "edge-1", env: "production", snapshots: snapshots), token: "s3cret",
            logger: Scenario.quietLogger)
        let pulled = try await server.withRunning { port in
            let harness = try PullHarness(port: port, clock: SettableClock(Scenario.start)) {
                $0.initialLookback = .seconds(72 * 3600)
            }
            try await harness.collect(at: Scenario.at(minutes: 200))
            return harness.sink.facts
        }
        let replayed = try await Replay.facts(of: snapshots, sourceID: "edge")
        #expect(!pulled.isEmpty)
        #expect(totals(pulled) == totals(replayed))
        #expect(pulled.map(FactKey.init).sorted() == replayed.map(FactKey.init).sorted())
    }
}
