import Foundation
import TestKit
import Testing

/// The CLI as an operator meets it: exit codes, messages, and the README's commands.
@Suite struct CommandLineTests {
    static let root = Repository.root

    @Test func validateAcceptsTheDefaultConfig() throws {
        let result = try BillingServiceProcess.run(["validate", "--config", Self.root + "/plugins.yaml"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("valid"))
    }

    @Test func validateExitsTwoAndNamesPathAndLine() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let yaml = """
            version: 1
            sources:
              fixtures: { type: file_replay, path: x.jsonl, format: xray }
            sinks:
              audit: { type: jsonl_audit, path: audit }
            pipelines:
              main: { sources: [fixtures], sinks: [audit] }
            """
        try yaml.write(toFile: dir.file("bad.yaml"), atomically: true, encoding: .utf8)
        let result = try BillingServiceProcess.run(["validate", "--config", dir.file("bad.yaml")])
        #expect(result.status == 2)
        #expect(
            result.stderr.contains(
                "sources.fixtures.format (line 3): unknown value \"xray\" (valid: xray_snapshots, vm_metrics, observations)"
            ))
        // `run` refuses the same config the same way, before starting anything.
        let run = try BillingServiceProcess.run(["run", "--config", dir.file("bad.yaml")])
        #expect(run.status == 2)
        #expect(!FileManager.default.fileExists(atPath: dir.file("audit")))
    }

    @Test func badUsageExitsTwo() throws {
        let result = try BillingServiceProcess.run(["run", "--no-such-flag"])
        #expect(result.status == 2)
    }

    @Test func pluginsListsEveryRegisteredType() throws {
        let result = try BillingServiceProcess.run(["plugins"])
        #expect(result.status == 0)
        for type in ["file_replay", "generator", "jsonl_audit"] {
            #expect(result.stdout.contains(type))
        }
    }

    @Test func runningTheDefaultConfigTwiceAddsNothingTheSecondTime() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try dir.defaultConfig(repositoryRoot: Self.root)

        let first = try BillingServiceProcess.run(["run", "--config", dir.file("plugins.yaml")])
        #expect(first.status == 0, "\(first.stderr)")
        let usage = try AuditContent.usageLines(directory: dir.file("var/audit"))
        #expect(!usage.isEmpty)
        let second = try BillingServiceProcess.run(["run", "--config", dir.file("plugins.yaml")])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try AuditContent.usageLines(directory: dir.file("var/audit")) == usage)
        let verify = try BillingServiceProcess.run(["audit", "verify", dir.file("var/audit")])
        #expect(verify.status == 0, "\(verify.stderr)")
    }

    @Test func auditVerifyNamesTheFirstBadLine() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try dir.defaultConfig(repositoryRoot: Self.root)
        let run = try BillingServiceProcess.run(["run", "--config", dir.file("plugins.yaml")])
        try #require(run.status == 0, "\(run.stderr)")
        let auditDir = dir.file("var/audit")
        let file = try #require(
            try FileManager.default.contentsOfDirectory(atPath: auditDir).filter { $0.hasSuffix(".jsonl") }.sorted()
                .first)
        var lines = try String(contentsOfFile: auditDir + "/" + file, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        try #require(lines.count > 3)
        // Finance's worst case: someone edits an amount.
        lines[2] = Substring(lines[2].replacingOccurrences(of: "\"amount\":\"", with: "\"amount\":\"9"))
        try lines.joined(separator: "\n").write(toFile: auditDir + "/" + file, atomically: true, encoding: .utf8)
        let verify = try BillingServiceProcess.run(["audit", "verify", auditDir])
        #expect(verify.status != 0)
        #expect(verify.stderr.contains(file))
        #expect(verify.stderr.contains("3"))
    }
}
