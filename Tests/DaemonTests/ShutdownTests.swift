import Core
import Foundation
import Host
import Testing
import XrayPush

@testable import Daemon

@Suite("graceful shutdown")
struct ShutdownTests {
    @Test("batches queued when shutdown starts are committed or refused, never lost or half-applied")
    func drainOnShutdown() async throws {
        let directory = try DaemonHarness.temporaryDirectory()
        let source = XrayPushSource(id: "edge_push", metering: MeteringOptions(initialSync: .billFromZero))
        let submissions = try await DaemonHarness.run(
            config: PushIngestTests.config, files: PushIngestTests.files, environment: PushIngestTests.environment,
            directory: directory
        ) { d in
            let engine = try #require(d.daemon.roster.engines.first)
            var tasks: [Task<Bool, any Error>] = []
            for node in 0..<20 {
                let body = Snapshots.line(minute: 1, up: 1_000, down: 10).replacingOccurrences(
                    of: "edge-1", with: "edge-\(node)")
                let batch = try #require(try source.batch(fromBody: Array(body.utf8), after: nil))
                tasks.append(
                    Task {
                        do {
                            _ = try await engine.submit(batch, from: "edge_push")
                            return true
                        } catch let error as WorkRefusal where error.kind == .unavailable {
                            return false
                        }
                    })
            }
            // Returning starts the graceful shutdown with the batches in flight.
            return tasks
        }
        var committed = 0
        for task in submissions where try await task.value { committed += 1 }
        let state = try await FileStateStore(directory: directory + "/var/state").load(pipeline: "main")
        #expect(state.lastCommittedSequence == UInt64(committed))
        #expect(committed > 0)
    }
}
