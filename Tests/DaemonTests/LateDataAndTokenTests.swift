import Core
import Foundation
import Host
import Logging
import Metrics
import TestKit
import Testing

@testable import Daemon

/// Issue 12, items 4 and 10: a collection's late data is counted in its job
/// result and in `/v1/status`; `serve` refuses a token shorter than 16 bytes.
@Suite("late data of a collection, token length")
struct LateDataAndTokenTests {
    static let token = "t-ops-8a4f2d6c1e90"

    @Test("lines older than their series' baselines: collect answers late_observations, status keeps the count")
    func lateCollection() async throws {
        try await DaemonHarness.run(
            config: CollectTests.config, files: ["snapshots.jsonl": CollectTests.lines(0..<3)],
            environment: ["OPS_TOKEN": Self.token]
        ) { d in
            // The scheduled collection at start takes minutes 0..2 (jitter 0).
            for _ in 0..<500 {
                if (try await d.request("GET", "/v1/status", token: Self.token).json["last_job"] as? [String: Any])
                    != nil
                {
                    break
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            let handle = try #require(FileHandle(forWritingAtPath: d.directory + "/snapshots.jsonl"))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(CollectTests.lines(0..<2).utf8))
            try handle.close()
            let job = try await d.request("POST", "/v1/jobs/collect", token: Self.token)
            #expect(job.status == 200, "\(job.body)")
            #expect(job.json["written_minutes"] as? Int == 0, "\(job.body)")
            #expect(job.json["late_observations"] as? Int == 4, "\(job.body)")
            let status = try await d.request("GET", "/v1/status", token: Self.token)
            let source = try #require((status.json["sources"] as? [[String: Any]])?.first)
            #expect(source["late_observations"] as? Int == 4, "\(source)")
        }
    }

    @Test("serve refuses a token shorter than 16 bytes, naming it and the minimum, never the value")
    func shortToken() throws {
        let context = PluginContext.testing(
            clock: SystemClock(), baseDirectory: "/tmp", environment: ["OPS_TOKEN": "fifteen-bytes-x"])
        let token = ServiceSettings.Token(id: "ops", secret: .environment("OPS_TOKEN"), scopes: [.read])
        #expect {
            _ = try Authenticator(tokens: [token], context: context)
        } throws: { error in
            let text = "\(error)"
            return text.contains("service.tokens ops") && text.contains("env:OPS_TOKEN is 15 bytes")
                && text.contains("at least 16") && !text.contains("fifteen-bytes-x")
        }
    }
}
