import Foundation
import TestKit
import Testing

/// The commands that use what a plugin offers beyond its pipeline role
/// (`generate`, `audit verify`, `rate --from-audit`, `dev fake-exporter`), as an
/// operator meets them: their output and their error texts, word for word.
@Suite struct ToolCommandTests {
    static let root = Repository.root

    /// A config with a generator `g` (30 minutes of xray, or endless without
    /// `duration`) and a file_replay source `replay`.
    func config(dir: TemporaryDirectory, duration: String? = "30m") throws -> String {
        let yaml = """
            version: 1
            sources:
              g: { type: generator, seed: 3, subjects: 5, nodes: 1, families: [xray], start: "2026-11-01T00:00:00Z",
                   interval: 1m\(duration.map { ", duration: \($0)" } ?? "") }
              replay: { type: file_replay, path: fixture.jsonl, format: xray_snapshots }
            sinks: { a: { type: jsonl_audit, path: unused } }
            pipelines: { p: { sources: [g, replay], sinks: [a] } }
            """
        try yaml.write(toFile: dir.file("plugins.yaml"), atomically: true, encoding: .utf8)
        return dir.file("plugins.yaml")
    }

    @Test("generate writes the fixture and prints the summary of what it wrote")
    func generateSaysWhatItWrote() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let out = dir.file("fixture.jsonl")
        let result = try BillingServiceProcess.run([
            "generate", "--config", try config(dir: dir), "--source", "g", "--out", out,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let prefix =
            "wrote \(out): FixtureSummary(format: WireFormats.FixtureFormat.xraySnapshots, path: \"\(out)\", lines: "
        #expect(result.stdout.hasPrefix(prefix), "\(result.stdout)")
        // One snapshot a tick of the one node: 30 lines, as the summary says.
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 30)
        #expect(result.stdout.hasPrefix(prefix + "30, observations: 300, bytes: "), "\(result.stdout)")
        #expect(result.stdout.contains("firstTick: 2026-11-01T00:00:00Z"), "\(result.stdout)")
        #expect(result.stdout.hasSuffix(")\n"), "\(result.stdout)")
    }

    @Test("generate names an unknown source and a source of another type, exit 2")
    func generateRefusesOtherSources() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = try config(dir: dir)
        let other = try BillingServiceProcess.run([
            "generate", "--config", file, "--source", "replay", "--out", dir.file("x.jsonl"),
        ])
        #expect(other.status == 2)
        #expect(other.stderr == "source \"replay\" is not of type generator\n")
        let unknown = try BillingServiceProcess.run([
            "generate", "--config", file, "--source", "nope", "--out", dir.file("x.jsonl"),
        ])
        #expect(unknown.status == 2)
        #expect(unknown.stderr == "no source \"nope\" in \(file) (sources: g, replay)\n")
        #expect(!FileManager.default.fileExists(atPath: dir.file("x.jsonl")))
    }

    @Test("generate refuses an endless run and a format of a family not generated, exit 1")
    func generateRefusesWhatItCannotWrite() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let endless = try BillingServiceProcess.run([
            "generate", "--config", try config(dir: dir, duration: nil), "--source", "g", "--out", dir.file("x.jsonl"),
        ])
        #expect(endless.status == 1)
        #expect(
            endless.stderr
                == "generate: sources.g: duration is not set, so the run is infinite: set sources.g.duration to write a fixture\n"
        )
        let vm = try BillingServiceProcess.run([
            "generate", "--config", try config(dir: dir), "--source", "g", "--out", dir.file("x.jsonl"),
            "--format", "vm_metrics",
        ])
        #expect(vm.status == 1)
        #expect(vm.stderr == "generate: sources.g: format vm_metrics needs family vm, but families is [xray]\n")
    }

    @Test("audit verify prints what it checked; a missing path is a broken chain, exit 1")
    func auditVerifyOutput() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try dir.defaultConfig(repositoryRoot: Self.root)
        let run = try BillingServiceProcess.run(["run", "--config", dir.file("plugins.yaml")])
        try #require(run.status == 0, "\(run.stderr)")
        let usage = try AuditContent.usageLines(directory: dir.file("var/audit"))
        let verify = try BillingServiceProcess.run(["audit", "verify", dir.file("var/audit")])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.hasPrefix("ok: AuditVerification(lineCount: "), "\(verify.stdout)")
        #expect(verify.stdout.contains("firstSeq: 1, anchorHash: \"\(String(repeating: "0", count: 64))\""))
        #expect(verify.stdout.contains("usageLines: \(usage.count), cutLines: 0, invoiceLines: 0)\n"), "\(verify.stdout)")

        let missing = try BillingServiceProcess.run(["audit", "verify", dir.file("no-such-audit")])
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("audit chain broken: "), "\(missing.stderr)")
        #expect(missing.stderr.contains(dir.file("no-such-audit")), "\(missing.stderr)")
        #expect(missing.stdout.isEmpty)
    }

    @Test("rate --from-audit of a missing path cannot read usage, exit 1")
    func rateFromAMissingAudit() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try BillingServiceProcess.run([
            "rate", "--price-book", Self.root + "/examples/pricebook.yaml", "--from-audit", dir.file("no-such-audit"),
            "--period", "2026-11",
        ])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("cannot read usage: "), "\(result.stderr)")
        #expect(result.stderr.contains(dir.file("no-such-audit")), "\(result.stderr)")
    }

    @Test(
        "dev fake-exporter refuses bad flags with exit 2 and the message alone",
        arguments: [
            (["--listen", "nope", "--fixture", "f.jsonl"], "--listen must be HOST:PORT, found \"nope\""),
            (
                ["--listen", "127.0.0.1:70000", "--fixture", "f.jsonl"],
                "--listen must be HOST:PORT, found \"127.0.0.1:70000\""
            ),
            (["--tls-cert", "c.pem", "--fixture", "f.jsonl"], "--tls-cert and --tls-key go together"),
            (
                ["--token-env", "BILLING_TEST_UNSET_TOKEN", "--fixture", "f.jsonl"],
                "--token-env BILLING_TEST_UNSET_TOKEN: the variable is not set or empty"
            ),
        ])
    func fakeExporterUsageErrors(arguments: [String], message: String) throws {
        let result = try BillingServiceProcess.run(["dev", "fake-exporter"] + arguments)
        #expect(result.status == 2)
        #expect(result.stderr == message + "\n")
        #expect(result.stdout.isEmpty)
    }

    @Test("dev fake-exporter names a fixture it cannot load, exit 2")
    func fakeExporterNamesTheFixture() throws {
        let result = try BillingServiceProcess.run([
            "dev", "fake-exporter", "--listen", "127.0.0.1:0", "--fixture", "/nonexistent/fixture.jsonl",
        ])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("--fixture: "), "\(result.stderr)")
        #expect(result.stderr.contains("/nonexistent/fixture.jsonl"), "\(result.stderr)")
    }

    @Test("dev lists fake-exporter, and its help keeps every flag")
    func devHelp() throws {
        let dev = try BillingServiceProcess.run(["dev", "--help"])
        #expect(dev.status == 0)
        #expect(dev.stdout.contains("fake-exporter"), "\(dev.stdout)")
        #expect(dev.stdout.contains("Development tools (fake upstreams)."), "\(dev.stdout)")
        let help = try BillingServiceProcess.run(["dev", "fake-exporter", "--help"])
        #expect(help.status == 0)
        for flag in ["--listen", "--fixture", "--node-id", "--tls-cert", "--tls-key", "--token-env"] {
            #expect(help.stdout.contains(flag), "\(flag): \(help.stdout)")
        }
    }
}
