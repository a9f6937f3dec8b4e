import Core
import Foundation
import TestKit
import Testing
import YAMLConfig

@testable import AuditLog

/// The factory's config decoding: the shipped sample and every validation rule.
@Suite struct ConfigTests {
    static func decode(_ yaml: String, base: String = "/etc/billing") throws -> (AuditLogOptions?, [ConfigProblem]) {
        let node = try YAMLDocument.parse(yaml, file: "test.yaml")
        let diagnostics = ConfigDiagnostics()
        let map = ConfigMap(node, path: "sinks.audit", diagnostics: diagnostics)
        let options = AuditLogFactory().options(
            config: map, context: .testing(clock: SettableClock("2026-11-01T12:00:00Z"), baseDirectory: base))
        return (options, diagnostics.problems)
    }

    @Test func sampleYAMLDecodesWithTheRealFactory() throws {
        let path = Repository.root + "/Sources/Sinks/AuditLog/sample.yaml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let (options, problems) = try Self.decode(text)
        #expect(problems.isEmpty)
        #expect(options == AuditLogOptions(directory: "/etc/billing/var/audit", rotateBytes: 256 << 20, fsync: true))
        let diagnostics = ConfigDiagnostics()
        let sink = AuditLogFactory().makeSink(
            id: "audit",
            config: ConfigMap(
                try YAMLDocument.parse(text, file: "sample.yaml"), path: "sinks.audit", diagnostics: diagnostics),
            context: .testing(clock: SettableClock("2026-11-01T12:00:00Z"), baseDirectory: "/"))
        #expect(sink?.id == "audit")
        #expect(AuditLogFactory().type == "jsonl_audit")
    }

    @Test func defaultsApply() throws {
        let (options, problems) = try Self.decode("path: /data/audit/\n")
        #expect(problems.isEmpty)
        #expect(options == AuditLogOptions(directory: "/data/audit", rotateBytes: 256 << 20, fsync: true))
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var yaml: String
        var paths: [String]
        var testDescription: String { yaml }
    }

    @Test(arguments: [
        Case(yaml: "rotate_bytes: 1MiB\n", paths: ["sinks.audit.path"]),
        Case(yaml: "path: a\nrotate_bytes: 100\n", paths: ["sinks.audit.rotate_bytes"]),
        Case(yaml: "path: a\nrotate_bytes: lots\n", paths: ["sinks.audit.rotate_bytes"]),
        Case(yaml: "path: a\nfsync: maybe\n", paths: ["sinks.audit.fsync"]),
        Case(yaml: "path: a\nrotate: daily\n", paths: ["sinks.audit.rotate"]),
        Case(
            yaml: "path: \"\"\nfsync: 2\nextra: 1\n",
            paths: ["sinks.audit.path", "sinks.audit.fsync", "sinks.audit.extra"]),
    ])
    func everyProblemIsReported(_ c: Case) throws {
        let (options, problems) = try Self.decode(c.yaml)
        #expect(options == nil)
        #expect(problems.map(\.path).sorted() == c.paths.sorted(), "\(problems)")
    }
}
