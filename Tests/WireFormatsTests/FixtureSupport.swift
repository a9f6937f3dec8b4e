import Core
import Foundation
import TestKit
import WireFormats

/// Locates `examples/fixtures` from this source file, so tests run from any directory.
enum Fixtures {
    static let directory = Repository.path("examples/fixtures")

    static let files: [(name: String, format: FixtureFormat)] = [
        ("xray-snapshots.jsonl", .xraySnapshots), ("vm-metrics.jsonl", .vmMetrics),
        ("observations.jsonl", .observations),
    ]

    /// The non-blank lines of a fixture, as bytes.
    static func lines(_ name: String) throws -> [[UInt8]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
        return data.split(separator: UInt8(ascii: "\n")).map { Array($0) }.filter { !$0.isEmpty }
    }
}

/// A small deterministic generator (SplitMix64) for random documents.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension FixtureLineDecoder {
    /// Decodes bytes or returns the error (test convenience).
    func result(_ line: [UInt8]) -> Result<[Observation], WireFormatError> {
        line.withUnsafeBytes { bytes in
            var out: [Observation] = []
            do throws(WireFormatError) {
                try decode(bytes, into: &out)
                return .success(out)
            } catch {
                return .failure(error)
            }
        }
    }
}
