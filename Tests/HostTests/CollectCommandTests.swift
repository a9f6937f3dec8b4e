import Core
import Foundation
import TestKit
import Testing

/// `billing-service collect` against `billing-service dev fake-exporter`, both as
/// an operator runs them: real processes on loopback.
@Suite struct CollectCommandTests {
    @Test func collectPullsFromTheFakeExporterAndNamesADeadSource() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // A fixture of the last hour (the exporter keeps 72 h), written by `generate`.
        let start = Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970) / 60 * 60 - 3_600)
        let generator = """
            version: 1
            sources:
              g: { type: generator, seed: 7, subjects: 20, nodes: 1, families: [xray], start: "\(start.rfc3339())",
                   interval: 1m, duration: 50m }
            sinks: { a: { type: jsonl_audit, path: unused } }
            pipelines: { p: { sources: [g], sinks: [a] } }
            """
        try generator.write(toFile: dir.file("generator.yaml"), atomically: true, encoding: .utf8)
        let generated = try BillingServiceProcess.run([
            "generate", "--config", dir.file("generator.yaml"), "--source", "g", "--out", dir.file("fixture.jsonl"),
            "--format", "xray_snapshots",
        ])
        try #require(generated.status == 0, "\(generated.stderr)")

        let exporter = try BillingServiceProcess.start(
            ["dev", "fake-exporter", "--listen", "127.0.0.1:0", "--fixture", dir.file("fixture.jsonl")],
            stdoutFile: dir.file("exporter.out"))
        defer { exporter.stop() }
        var port: Int?
        for _ in 0..<500 where port == nil {
            if let range = exporter.stdout.range(of: "http://127.0.0.1:") {
                port = Int(exporter.stdout[range.upperBound...].prefix { $0.isNumber })
            } else {
                usleep(20_000)
            }
        }
        let listening = try #require(port, "fake exporter did not start: \(exporter.stdout)")

        let config = """
            version: 1
            state: { store: file, path: state }
            sources:
              edge: { type: exporter_pull, base_url: "http://127.0.0.1:\(listening)", allow_insecure_http: true,
                      initial_lookback: 2h, timeout: 10s, attempts: 1 }
              dead: { type: exporter_pull, base_url: "http://127.0.0.1:1", allow_insecure_http: true, timeout: 2s,
                      connect_timeout: 1s, attempts: 1 }
            sinks:
              audit: { type: jsonl_audit, path: audit }
              audit2: { type: jsonl_audit, path: audit2 }
            pipelines:
              live: { sources: [edge], sinks: [audit] }
              down: { sources: [dead], sinks: [audit2] }
            """
        try config.write(toFile: dir.file("plugins.yaml"), atomically: true, encoding: .utf8)

        // Only the live source: exit 0, usage in the audit.
        let live = try BillingServiceProcess.run([
            "collect", "--config", dir.file("plugins.yaml"), "--source", "edge",
        ])
        #expect(live.status == 0, "\(live.stderr)")
        let usage = try AuditContent.usageLines(directory: dir.file("audit"))
        #expect(!usage.isEmpty)
        #expect(usage.allSatisfy { $0.contains("\"source\":\"edge\"") })

        // Both: the dead one fails by name, exit 1; the live one's progress stays committed.
        let both = try BillingServiceProcess.run(["collect", "--config", dir.file("plugins.yaml")])
        #expect(both.status == 1)
        #expect(both.stderr.contains("source dead failed: sources.dead"), "\(both.stderr)")
        #expect(!both.stderr.contains("source edge failed"))
        #expect(try AuditContent.usageLines(directory: dir.file("audit")).count >= usage.count)

        // A source that is not a pull source is a usage error.
        let wrong = try BillingServiceProcess.run([
            "collect", "--config", dir.file("plugins.yaml"), "--source", "nope",
        ])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("--source nope is not an exporter_pull source"))
    }
}
