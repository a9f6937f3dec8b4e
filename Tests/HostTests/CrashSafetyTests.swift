import Foundation
import TestKit
import Testing

/// Kill -9 at any moment, restart: the audit holds exactly what an uninterrupted run holds.
@Suite(.serialized) struct CrashSafetyTests {
    func writeConfigs(in dir: TemporaryDirectory) throws {
        let generator = """
            version: 1
            state: { store: file, path: state-gen }
            sources:
              synth:
                type: generator
                seed: 7
                subjects: 150
                nodes: 3
                families: [xray]
                start: "2026-11-01T00:00:00Z"
                interval: 1m
                duration: 3h
                counter_reset: "0.002"
                duplicate: "0.003"
                out_of_order: "0.002"
                gap: "0.003"
            sinks:
              unused: { type: jsonl_audit, path: unused }
            pipelines:
              p: { sources: [synth], sinks: [unused] }
            """
        try generator.write(toFile: dir.file("generate.yaml"), atomically: true, encoding: .utf8)
        for name in ["clean", "crashed"] {
            let replay = """
                version: 1
                state: { store: file, path: \(name)/state }
                sources:
                  fixture:
                    type: file_replay
                    path: fixture.jsonl
                    format: xray_snapshots
                    batch_size: 1500
                rating: { price_book: pricebook.yaml }
                sinks:
                  audit: { type: jsonl_audit, path: \(name)/audit }
                pipelines:
                  main: { sources: [fixture], sinks: [audit] }
                """
            try replay.write(toFile: dir.file("\(name).yaml"), atomically: true, encoding: .utf8)
        }
        let pricebook = try String(contentsOfFile: Repository.root + "/examples/pricebook.yaml", encoding: .utf8)
        try pricebook.write(toFile: dir.file("pricebook.yaml"), atomically: true, encoding: .utf8)
    }

    @Test func sigkillAtRandomMomentsLosesAndDoublesNothing() async throws {
        let dir = try TemporaryDirectory("billing-crash")
        defer { dir.remove() }
        try writeConfigs(in: dir)
        let generated = try BillingServiceProcess.run([
            "generate", "--config", dir.file("generate.yaml"), "--source", "synth", "--out", dir.file("fixture.jsonl"),
        ])
        try #require(generated.status == 0, "generate failed: \(generated.stderr)")

        let clean = try BillingServiceProcess.run(["run", "--config", dir.file("clean.yaml")])
        try #require(clean.status == 0, "clean run failed: \(clean.stderr)")
        let expected = try AuditContent.usageLines(directory: dir.file("clean/audit"))
        try #require(expected.count > 10_000, "the scenario should produce many facts")

        var kills = 0
        var finished = false
        var attempts = 0
        let schedule = CrashSchedule(
            auditDirectory: dir.file("crashed/audit"), cleanAuditDirectory: dir.file("clean/audit"))
        while !finished, kills < 6, attempts < 40 {
            attempts += 1
            finished = try BillingServiceProcess.runAndKill(
                ["run", "--config", dir.file("crashed.yaml")], when: schedule.nextKill())
            if !finished { kills += 1 }
        }
        if !finished {
            let last = try BillingServiceProcess.run(["run", "--config", dir.file("crashed.yaml")])
            try #require(last.status == 0, "final run failed: \(last.stderr)")
        }
        #expect(kills >= 5, "the test must actually kill the process several times (killed \(kills))")

        let actual = try AuditContent.usageLines(directory: dir.file("crashed/audit"))
        #expect(actual.count == expected.count)
        #expect(actual == expected)
        #expect(Set(actual).count == actual.count, "no usage line twice")

        let verify = try BillingServiceProcess.run(["audit", "verify", dir.file("crashed/audit")])
        #expect(verify.status == 0, "audit verify: \(verify.stdout) \(verify.stderr)")
    }
}
