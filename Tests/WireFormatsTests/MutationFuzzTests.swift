import Core
import Foundation
import PropertyBased
import Testing
import WireFormats

/// Random byte mutations of valid lines never crash, and whatever the fast
/// decoder still accepts, JSONSerialization accepts with the same meaning.
@Suite struct MutationFuzzTests {
    static func corpus() throws -> [(FixtureFormat, [UInt8])] {
        var lines: [(FixtureFormat, [UInt8])] = []
        for (name, format) in Fixtures.files {
            for line in try Fixtures.lines(name) { lines.append((format, line)) }
        }
        for seed in 0..<20 as Range<UInt64> {
            lines.append((.xraySnapshots, RandomDocuments.xray(seed: seed).text))
            lines.append((.vmMetrics, RandomDocuments.vm(seed: seed).text))
            lines.append((.observations, RandomDocuments.observation(seed: seed, source: "f").text))
        }
        return lines
    }

    static let interesting: [UInt8] = Array("{}[],:\"\\ 0189-.eEtfnu\n\t".utf8) + [0x00, 0x7F, 0x80, 0xC3, 0xED, 0xFF]

    static func mutate(_ line: [UInt8], seed: UInt64) -> [UInt8] {
        var rng = SplitMix(seed: seed)
        var out = line
        for _ in 0..<(1 + Int(rng.next() % 3)) {
            guard !out.isEmpty else { break }
            let at = Int(rng.next() % UInt64(out.count))
            let byte =
                rng.next() % 4 == 0
                ? UInt8(truncatingIfNeeded: rng.next()) : interesting[Int(rng.next() % UInt64(interesting.count))]
            switch rng.next() % 5 {
            case 0: out[at] = byte
            case 1: out.remove(at: at)
            case 2: out.insert(byte, at: at)
            case 3: out.removeSubrange(at...)
            default:
                let end = min(out.count, at + Int(rng.next() % 16))
                out.insert(contentsOf: out[at..<end], at: at)
            }
        }
        return out
    }

    @Test func mutationsAreRejectedOrMeanWhatJSONSerializationReads() async throws {
        let corpus = try Self.corpus()
        await propertyCheck(count: 3000, input: Gen.int(in: 0...Int.max)) { seed in
            let (format, line) = corpus[seed % corpus.count]
            let mutated = Self.mutate(line, seed: UInt64(seed))
            let fast = FixtureLineDecoder(format: format, source: "f").result(mutated)
            if case .success(let observations) = fast {
                let reference = Result { try ReferenceDecoder.observations(mutated, format: format, source: "f") }
                #expect(
                    (try? reference.get()) == observations,
                    "reference: \(reference.map(\.count)) on \(String(decoding: mutated, as: UTF8.self))")
            }
        }
    }
}
