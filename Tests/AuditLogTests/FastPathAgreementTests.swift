import Core
import Foundation
import TestKit
import Testing

@testable import AuditLog

/// The verifier's fast path (`AuditFastUsageCheck`) and its slow path agree on
/// every file: same verdict, same first bad file, line and problem. Random
/// tampering of a varied chain, seeded so a failure replays; "rehash" cases
/// recompute every hash after the edit so only the format rules can catch it.
@Suite struct FastPathAgreementTests {
    /// SplitMix64: a tiny deterministic generator (no global state).
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    /// Facts that exercise every branch of the fast path: escapes, non-ASCII,
    /// flags, empty and many dimensions, fractions, negative and large amounts.
    static func variedFacts(_ b: UInt64) -> [UsageFact] {
        var facts = standardFacts(b)
        var odd = fact(b * 10 + 2, flags: [.initial])
        odd.series = SeriesKey(
            source: "edge_\(b)", subject: "cust \"\(b)\"\té\\", metric: "vm_memory_byte_seconds",
            sortedDimensions: b % 2 == 0 ? [] : [Dimension("a", "x"), Dimension("ab", "y/z"), Dimension("b", "")])
        odd.amount = Money(scaled: b % 2 == 0 ? -1 : Int128(UInt64.max) * 1_000_000_007)
        odd.to = odd.to.adding(nanoseconds: 999_999_999)
        odd.flags = b % 3 == 0 ? [.reset, .initial] : [.gap, .initial]
        facts.append(odd)
        return facts
    }

    static func writeVariedChain(_ dir: TemporaryDirectory) async throws {
        let sink = makeSink(dir, rotateBytes: 4096)
        try await sink.open(pipeline: "main", lastCommittedSequence: 0)
        for b: UInt64 in 1...8 { try await sink.write(batch(b, facts: variedFacts(b))) }
        try await sink.close()
        // Reopen with an older commit: adds a cut line (and removes the tail).
        let reopened = makeSink(dir, rotateBytes: 4096)
        try await reopened.open(pipeline: "main", lastCommittedSequence: 7)
        try await reopened.write(batch(8, facts: variedFacts(8)))
        try await reopened.close()
    }

    static func outcome(_ path: String, fast: Bool) -> Result<AuditVerification, AuditVerificationError> {
        do throws(AuditVerificationError) {
            return .success(try AuditVerifier.verify(path: path, fastPath: fast))
        } catch { return .failure(error) }
    }

    /// Recomputes `prev_hash` and `hash` of every line from `from` on (line
    /// index across the whole chain) so that the chain holds again.
    static func rehash(_ files: inout [[UInt8]], fromFile: Int) {
        var previous: [UInt8]?
        for f in files.indices {
            var lines = files[f].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
            let last = lines.removeLast()  // "" after the final newline, or a torn line
            for l in lines.indices {
                var line = lines[l]
                guard line.count > 75, line.suffix(75).starts(with: Array(",\"hash\":\"".utf8)),
                    let marker = line.firstRange(of: Array("\"prev_hash\":\"".utf8))
                else {
                    previous = nil
                    continue
                }
                let prevStart = marker.upperBound
                if f >= fromFile, let previous, prevStart + 64 <= line.count - 75 {
                    line.replaceSubrange(prevStart..<(prevStart + 64), with: previous)
                }
                if f >= fromFile, prevStart + 64 <= line.count {
                    let body = Array(line[..<(line.count - 75)]) + [UInt8(ascii: "}")]
                    let hex = body.withUnsafeBytes {
                        AuditChain.hashHex(previous: Array(line[prevStart..<(prevStart + 64)]), body: $0)
                    }
                    line.replaceSubrange((line.count - 66)..<(line.count - 2), with: hex)
                }
                previous = Array(line[(line.count - 66)..<(line.count - 2)])
                lines[l] = line
            }
            files[f] = Array(lines.joined(separator: [UInt8(ascii: "\n")])) + [UInt8(ascii: "\n")] + last
            if lines.isEmpty { files[f] = last }
        }
    }

    static let interesting = Array("0123456789abcdefABF\"\\,:{}[]-.+ eZTnul\u{7f}\u{1}é".utf8)

    @Test(arguments: [false, true])
    func randomTamperingGivesTheSameVerdictOnBothPaths(rehashAfterEdit: Bool) async throws {
        let source = try TemporaryDirectory("audit-test")
        defer { source.remove() }
        try await Self.writeVariedChain(source)
        let names = source.files(endingWith: ".jsonl")
        #expect(names.count > 2)
        let original = try names.map { Array(try Data(contentsOf: URL(fileURLWithPath: source.path + "/" + $0))) }
        #expect(Self.outcome(source.path, fast: true) == Self.outcome(source.path, fast: false))
        guard case .success(let clean) = Self.outcome(source.path, fast: true) else {
            Issue.record("the untampered chain must verify")
            return
        }
        #expect(clean.cutLines == 1)
        // Most usage lines take the fast path; the escaped and non-ASCII ones do not.
        var scanner = try AuditChainScanner(path: source.path)
        while try scanner.advance() {}
        #expect(scanner.fastLines > clean.usageLines / 2)
        #expect(scanner.fastLines < clean.usageLines)

        var random = Generator(state: rehashAfterEdit ? 0xfeed : 0xbeef)
        var failures = 0
        for _ in 0..<300 {
            var files = original
            let f = random.below(files.count)
            // Edit only bytes the format defines (not the last 75 of a line when rehashing).
            let position = random.below(files[f].count)
            switch random.below(4) {
            case 0: files[f][position] ^= UInt8(1) << UInt8(random.below(8))
            case 1: files[f][position] = Self.interesting[random.below(Self.interesting.count)]
            case 2: files[f].remove(at: position)
            default: files[f].insert(Self.interesting[random.below(Self.interesting.count)], at: position)
            }
            if rehashAfterEdit { Self.rehash(&files, fromFile: f) }
            let dir = try TemporaryDirectory("audit-test")
            defer { dir.remove() }
            for (name, bytes) in zip(names, files) {
                try Data(bytes).write(to: URL(fileURLWithPath: dir.path + "/" + name))
            }
            let fast = Self.outcome(dir.path, fast: true)
            let slow = Self.outcome(dir.path, fast: false)
            #expect(fast == slow, "file \(names[f]) byte \(position)")
            if case .failure = slow { failures += 1 }
        }
        // The generator must actually produce bad files (and some good ones when rehashing).
        #expect(failures > 100)
        if rehashAfterEdit { #expect(failures < 300) }
    }
}
