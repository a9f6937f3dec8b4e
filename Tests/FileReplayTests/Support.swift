import Core
import FileReplay
import Foundation
import TestKit
import WireFormats

enum Support {
    static let fixtures = Repository.path("examples/fixtures")

    /// The clock reads 2026-11-01T00:00:00Z.
    static func context(base: String = Repository.root) -> PluginContext {
        .testing(clock: FixedClock("2026-11-01T00:00:00Z"), baseDirectory: base)
    }

    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Every batch of a reader, from `cursor`.
    static func readAll(_ source: FileReplaySource, from cursor: SourceCursor? = nil) async throws -> [ObservationBatch]
    {
        var reader = try await source.makeReader(from: cursor)
        var batches: [ObservationBatch] = []
        while let batch = try await reader.next() { batches.append(batch) }
        return batches
    }

    /// What decoding each non-blank line of a file separately gives.
    static func expected(file: String, format: FixtureFormat, source: String) throws -> [Observation] {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        let decoder = FixtureLineDecoder(format: format, source: source)
        var out: [Observation] = []
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            try decoder.decode(String(decoding: line, as: UTF8.self), into: &out)
        }
        return out
    }
}
