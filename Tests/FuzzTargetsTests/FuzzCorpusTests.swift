import AuditLog
import Foundation
import FuzzTargets
import TestKit
import Testing

/// Replays the committed fuzz corpus (fuzz/corpus/<target>/) through the same
/// entries and invariants as `billing-fuzz`, so a corpus input that once found a
/// bug stays a regression test in the normal debug suite.
@Suite struct FuzzCorpusTests {
    static let corpus = Repository.url.appendingPathComponent("fuzz/corpus")

    static func inputs(of target: FuzzTarget) -> [URL] {
        let folder = corpus.appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.map { folder.appendingPathComponent($0) }
    }

    @Test(arguments: FuzzTarget.allCases)
    func corpusKeepsItsInvariants(_ target: FuzzTarget) throws {
        let files = Self.inputs(of: target)
        #expect(files.count >= 3, "fuzz/corpus/\(target.rawValue) has \(files.count) seeds")
        let harness = FuzzHarness()
        var outcomes: Set<FuzzOutcome> = []
        for file in files {
            let bytes = Array(try Data(contentsOf: file))
            do {
                outcomes.insert(try harness.run(target, bytes))
            } catch {
                Issue.record("fuzz/corpus/\(target.rawValue)/\(file.lastPathComponent): \(error)")
            }
        }
        // The seeds reach both the success path (where the round-trip invariants
        // are checked) and a refusal (where the error position is).
        #expect(outcomes == [.accepted, .refused], "fuzz/corpus/\(target.rawValue) reaches only \(outcomes)")
    }
}

/// The audit entry's strongest invariant (reader and writer agree) only runs when
/// the sink's encoder takes the fact back; the real usage seeds must reach it.
@Suite struct AuditLineSeedTests {
    @Test func usageSeedsReachTheWriterComparison() throws {
        let usage = FuzzCorpusTests.inputs(of: .auditLine).filter { $0.lastPathComponent.hasPrefix("seed-usage-") }
        #expect(!usage.isEmpty)
        for file in usage {
            let bytes = Array(try Data(contentsOf: file))
            let written = try #require(AuditLineCheck.sinkLine(for: bytes), "\(file.lastPathComponent)")
            #expect(written.dropLast(75) == bytes.dropLast(75), "\(file.lastPathComponent)")
            // The hash differs only if the seed was edited by hand; the fuzzer's inputs cannot forge it.
            #expect(written == bytes, "\(file.lastPathComponent) is a line the sink wrote, hash included")
        }
    }
}
