import Core
import Foundation
import TestKit
import Testing

@testable import AuditLog

/// The exact bytes the sink writes for a known batch, with hashes computed here
/// by an independent SHA-256 (`TestSHA256`).
@Suite struct GoldenFileTests {
    static let genesis = String(repeating: "0", count: 64)

    static func goldenFacts() -> [UsageFact] {
        let minute = Timestamp(rfc3339: "2026-11-01T00:05:00Z")!
        let a = UsageFact(
            id: Digest128(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210),
            series: SeriesKey(
                source: "edge_1", subject: "acct-7", metric: "xray_uplink_bytes",
                dimensions: [Dimension("region", "eu-1"), Dimension("node_id", "n1")]),
            from: Timestamp(rfc3339: "2026-11-01T00:04:00.5Z")!,
            to: Timestamp(rfc3339: "2026-11-01T00:05:30.000000001Z")!,
            minute: minute, quantity: 1_073_741_824, amount: Money(decimal: "0.05")!, currency: "USD",
            priceBook: "2026-11")
        let b = UsageFact(
            id: Digest128(high: 0xaaaa_bbbb_cccc_dddd, low: 1),
            series: SeriesKey(source: "edge_1", subject: "cust \"7\"\té", metric: "vm_cpu_ns"),
            from: Timestamp(rfc3339: "2026-11-01T00:04:00Z")!, to: Timestamp(rfc3339: "2026-11-01T00:05:00Z")!,
            minute: minute, quantity: 0, flags: [.gap, .reset], amount: Money(decimal: "1.000000000000000001")!,
            currency: "EUR", priceBook: "v3")
        return [a, b]
    }

    /// The bodies (lines without `hash`) the format defines for the golden batch.
    static let expectedBodies: [String] = [
        #"{"seq":1,"kind":"open","prev_hash":"PREV","file":"audit-00000000000000000001-20261101.jsonl","previous_file":null,"created_at":"2026-11-01T12:00:00Z"}"#,
        #"{"seq":2,"kind":"usage","prev_hash":"PREV","pipeline":"main","batch":1,"fact_id":"01234567-89ab-cdef-fedc-ba9876543210","source":"edge_1","subject":"acct-7","metric":"xray_uplink_bytes","unit":"byte","dimensions":{"node_id":"n1","region":"eu-1"},"minute":"2026-11-01T00:05:00Z","from":"2026-11-01T00:04:00.500000000Z","to":"2026-11-01T00:05:30.000000001Z","quantity":"1073741824","flags":[],"amount":"0.05","currency":"USD","price_book":"2026-11"}"#,
        #"{"seq":3,"kind":"usage","prev_hash":"PREV","pipeline":"main","batch":1,"fact_id":"aaaabbbb-cccc-dddd-0000-000000000001","source":"edge_1","subject":"cust \"7\"\té","metric":"vm_cpu_ns","unit":"nanosecond","dimensions":{},"minute":"2026-11-01T00:05:00Z","from":"2026-11-01T00:04:00Z","to":"2026-11-01T00:05:00Z","quantity":"0","flags":["reset","gap"],"amount":"1.000000000000000001","currency":"EUR","price_book":"v3"}"#,
    ]

    /// Chains `expectedBodies` with the independent SHA-256.
    static func expectedFile() -> String {
        var prev = genesis
        var out = ""
        for template in expectedBodies {
            let body = template.replacingOccurrences(of: "\"PREV\"", with: "\"\(prev)\"")
            let hash = TestSHA256.hex(prev + "\n" + body)
            out += String(body.dropLast()) + ",\"hash\":\"\(hash)\"}\n"
            prev = hash
        }
        return out
    }

    static let goldenName = "audit-00000000000000000001-20261101.jsonl"

    @Test func knownBatchIsWrittenByteForByte() async throws {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let sink = makeSink(dir, fsync: true)
        try await sink.open(pipeline: "main", lastCommittedSequence: 0)
        try await sink.write(batch(1, facts: Self.goldenFacts()))
        try await sink.close()
        #expect(dir.files(endingWith: ".jsonl") == [Self.goldenName])
        let written = try String(contentsOfFile: dir.path + "/" + Self.goldenName, encoding: .utf8)
        #expect(written == Self.expectedFile())
        let result = try AuditVerifier.verify(path: dir.path)
        #expect(result.lineCount == 3)
        #expect(result.lastSeq == 3)
        #expect(result.usageLines == 2)
        #expect(result.anchorHash == Self.genesis)
    }

    @Test func readerReturnsTheFactsAsWritten() async throws {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let sink = makeSink(dir)
        try await sink.open(pipeline: "main", lastCommittedSequence: 0)
        try await sink.write(batch(1, facts: Self.goldenFacts()))
        let records = try AuditUsageReader.readAll(path: dir.path)
        #expect(records.map(\.fact) == Self.goldenFacts())
        #expect(records.map(\.seq) == [2, 3])
        #expect(records.map(\.batch) == [1, 1])
        #expect(records.map(\.unit) == ["byte", "nanosecond"])
    }

    /// docs/audit-format.md's worked example is exactly the golden file, and it verifies.
    @Test func documentationExampleIsTheGoldenFile() throws {
        let doc = try String(contentsOfFile: Repository.root + "/docs/audit-format.md", encoding: .utf8)
        let example = try #require(Self.block(in: doc, after: "<!-- example-file -->"))
        #expect(example == Self.expectedFile())
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        try example.write(toFile: dir.path + "/" + Self.goldenName, atomically: false, encoding: .utf8)
        let result = try AuditVerifier.verify(path: dir.path + "/" + Self.goldenName)
        #expect(result.lineCount == 3)
    }

    /// The doc's shell recipe (bash, jq, sha256sum) accepts the example and rejects an edit.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/jq")))
    func documentationShellRecipeVerifiesTheExample() throws {
        let doc = try String(contentsOfFile: Repository.root + "/docs/audit-format.md", encoding: .utf8)
        let script = try #require(Self.block(in: doc, after: "<!-- verify-script -->"))
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let file = dir.path + "/" + Self.goldenName
        try Self.expectedFile().write(toFile: file, atomically: false, encoding: .utf8)
        try script.write(toFile: dir.path + "/verify.sh", atomically: false, encoding: .utf8)
        let ok = try Self.run(["bash", dir.path + "/verify.sh", file])
        #expect(ok.status == 0)
        #expect(ok.output.contains("ok: 3 lines"))
        let tampered = Self.expectedFile().replacingOccurrences(of: "\"amount\":\"0.05\"", with: "\"amount\":\"0.06\"")
        try tampered.write(toFile: file, atomically: false, encoding: .utf8)
        let bad = try Self.run(["bash", dir.path + "/verify.sh", file])
        #expect(bad.status != 0)
        #expect(bad.output.contains("line 2"))
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The fenced code block that follows `marker` (its content, with a final newline).
    static func block(in doc: String, after marker: String) -> String? {
        guard let markerRange = doc.range(of: marker) else { return nil }
        let rest = doc[markerRange.upperBound...]
        guard let open = rest.range(of: "```") else { return nil }
        guard let lineEnd = rest[open.upperBound...].firstIndex(of: "\n") else { return nil }
        let body = rest[rest.index(after: lineEnd)...]
        guard let close = body.range(of: "\n```") else { return nil }
        return String(body[..<close.lowerBound]) + "\n"
    }
}
