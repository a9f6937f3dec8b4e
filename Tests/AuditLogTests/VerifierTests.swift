import Core
import Foundation
import TestKit
import Testing

@testable import AuditLog

/// `AuditVerifier` names the first bad file and line for each kind of tampering.
@Suite struct VerifierTests {
    static let name = "audit-00000000000000000001-20261101.jsonl"

    /// Writes batches 1...3 (7 lines: open + 6 usage) into one file.
    static func writeStandardFile(_ dir: TemporaryDirectory) async throws -> [String] {
        let sink = makeSink(dir)
        try await sink.open(pipeline: "main", lastCommittedSequence: 0)
        for b: UInt64 in 1...3 { try await sink.write(batch(b, facts: standardFacts(b))) }
        try await sink.close()
        return try dir.lines(of: name)
    }

    enum Tamper: String, CaseIterable, Sendable {
        case flipByte, deleteLine, reorderLines, editAmount, editHashToMatchBody, truncateLastNewline
    }

    @Test(arguments: Tamper.allCases)
    func tamperingIsFoundAtTheRightLine(_ tamper: Tamper) async throws {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        var lines = try await Self.writeStandardFile(dir)
        #expect(lines.count == 7)
        var ending = "\n"
        let expectedLine: Int
        switch tamper {
        case .flipByte:
            // Flip one bit of a digit in the subject of line 4.
            var bytes = Array(lines[3].utf8)
            let index = try #require(bytes.firstIndex(of: UInt8(ascii: "-")))
            bytes[index + 1] ^= 0x01
            lines[3] = String(decoding: bytes, as: UTF8.self)
            expectedLine = 4
        case .deleteLine:
            lines.remove(at: 2)
            expectedLine = 3
        case .reorderLines:
            lines.swapAt(4, 5)
            expectedLine = 5
        case .editAmount:
            lines[5] = lines[5].replacingOccurrences(of: "\"amount\":\"", with: "\"amount\":\"1")
            expectedLine = 6
        case .editHashToMatchBody:
            // Re-hash an edited line: the next line's prev_hash no longer matches.
            let edited = lines[2].replacingOccurrences(of: "\"currency\":\"USD\"", with: "\"currency\":\"EUR\"")
            let prev = try #require(Self.field("prev_hash", of: edited))
            let body = String(edited[..<edited.range(of: ",\"hash\":")!.lowerBound]) + "}"
            lines[2] = String(body.dropLast()) + ",\"hash\":\"\(TestSHA256.hex(prev + "\n" + body))\"}"
            expectedLine = 4
        case .truncateLastNewline:
            ending = ""
            expectedLine = 7
        }
        try (lines.joined(separator: "\n") + ending).write(
            toFile: dir.path + "/" + Self.name, atomically: false, encoding: .utf8)
        let error = try #require(throws: AuditVerificationError.self) { try AuditVerifier.verify(path: dir.path) }
        #expect(error.file == dir.path + "/" + Self.name)
        #expect(error.line == expectedLine, "\(error)")
        switch (tamper, error.problem) {
        case (.flipByte, .hashMismatch), (.editAmount, .hashMismatch), (.deleteLine, .seqGap),
            (.reorderLines, .seqGap), (.editHashToMatchBody, .prevHashMismatch),
            (.truncateLastNewline, .incompleteLine):
            break
        default:
            Issue.record("unexpected problem for \(tamper): \(error)")
        }
    }

    static func field(_ key: String, of line: String) -> String? {
        guard let range = line.range(of: "\"\(key)\":\"") else { return nil }
        return String(line[range.upperBound...].prefix(while: { $0 != "\"" }))
    }

    @Test func malformedAndNonCanonicalLinesAreNamed() async throws {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let original = try await Self.writeStandardFile(dir)
        var lines = original
        let path = dir.path + "/" + Self.name
        lines[1] = "{\"seq\":2,"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        let malformed = try #require(throws: AuditVerificationError.self) { try AuditVerifier.verify(path: path) }
        #expect(malformed.line == 2)
        guard case .malformedJSON = malformed.problem else {
            Issue.record("expected malformed JSON, got \(malformed)")
            return
        }
        lines = original
        lines[2] = lines[2].replacingOccurrences(of: "\"kind\":\"usage\"", with: "\"kind\": \"usage\"")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        let spaced = try #require(throws: AuditVerificationError.self) { try AuditVerifier.verify(path: path) }
        #expect(spaced.line == 3)
        #expect(spaced.problem == .notCanonical)
    }

    @Test func missingPathIsUnreadable() throws {
        let error = try #require(throws: AuditVerificationError.self) {
            try AuditVerifier.verify(path: "/nonexistent/audit-dir")
        }
        #expect(error.line == 0)
    }

    @Test func singleRotatedFileVerifiesFromItsAnchor() async throws {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let sink = makeSink(dir, rotateBytes: 1024)
        try await sink.open(pipeline: "main", lastCommittedSequence: 0)
        for b: UInt64 in 1...6 { try await sink.write(batch(b, facts: standardFacts(b))) }
        let files = dir.files(endingWith: ".jsonl")
        #expect(files.count > 2)
        let whole = try AuditVerifier.verify(path: dir.path)
        let second = try AuditVerifier.verify(path: dir.path + "/" + files[1])
        #expect(second.firstSeq > 1)
        #expect(second.anchorHash != String(repeating: "0", count: 64))
        #expect(whole.lastHash == (try AuditVerifier.verify(path: dir.path + "/" + files.last!)).lastHash)
    }

    @Test func removedMiddleFileIsAChainBreak() async throws {
        let dir = try TemporaryDirectory("audit-test")
        defer { dir.remove() }
        let sink = makeSink(dir, rotateBytes: 1024)
        try await sink.open(pipeline: "main", lastCommittedSequence: 0)
        for b: UInt64 in 1...6 { try await sink.write(batch(b, facts: standardFacts(b))) }
        let files = dir.files(endingWith: ".jsonl")
        try FileManager.default.removeItem(atPath: dir.path + "/" + files[1])
        let error = try #require(throws: AuditVerificationError.self) { try AuditVerifier.verify(path: dir.path) }
        #expect(error.file == dir.path + "/" + files[2])
        #expect(error.line == 1)
        guard case .chainBreakAcrossFiles = error.problem else {
            Issue.record("expected a chain break, got \(error)")
            return
        }
    }
}
