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

    /// JSONSerialization refuses a number it cannot represent as a Double
    /// (`1234567890123456789e01234567890`), which the JSON grammar allows. The
    /// fast decoder skips the values of keys the format ignores without reading
    /// them, so there it accepts such a number. To still compare meanings, every
    /// number the oracle refuses is replaced by `0`: if the number sat in a field
    /// that counts, the two decoders then disagree and the test fails.
    static func withUnrepresentableNumbersZeroed(_ line: [UInt8]) -> [UInt8] {
        var line = line
        for _ in 0..<8 {
            do {
                _ = try JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed])
                return line
            } catch {
                let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
                guard let start = text.range(of: "Number "), let end = text.range(of: " is not representable"),
                    start.upperBound < end.lowerBound
                else { return line }
                let number = Array(text[start.upperBound..<end.lowerBound].utf8)
                guard let at = line.firstRange(of: number) else { return line }
                line.replaceSubrange(at, with: Array("0".utf8))
            }
        }
        return line
    }

    @Test func unrepresentableNumbersAreZeroedOnlyWhereTheOracleRefusesThem() throws {
        let line = Array(#"{"a":1,"b":1234567890123456789e01234567890,"c":2e3}"#.utf8)
        #expect(
            String(decoding: Self.withUnrepresentableNumbersZeroed(line), as: UTF8.self) == #"{"a":1,"b":0,"c":2e3}"#)
    }

    @Test func mutationsAreRejectedOrMeanWhatJSONSerializationReads() async throws {
        let corpus = try Self.corpus()
        await propertyCheck(count: 3000, input: Gen.int(in: 0...Int.max)) { seed in
            let (format, line) = corpus[seed % corpus.count]
            let mutated = Self.mutate(line, seed: UInt64(seed))
            let fast = FixtureLineDecoder(format: format, source: "f").result(mutated)
            if case .success(let observations) = fast {
                let reference = Result {
                    try ReferenceDecoder.observations(
                        Self.withUnrepresentableNumbersZeroed(mutated), format: format, source: "f")
                }
                #expect(
                    (try? reference.get()) == observations,
                    "reference: \(reference.map(\.count)) on \(String(decoding: mutated, as: UTF8.self))")
            }
        }
    }
}
