import Core
import FileReplay
import Foundation
import Logging
import Metrics
import WireFormats

struct FixedClock: WallClock {
    func now() -> Timestamp { Timestamp(secondsSinceEpoch: 1_793_491_200) }
}

enum Support {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let fixtures = root + "/examples/fixtures"

    static func context(base: String = root) -> PluginContext {
        PluginContext(
            logger: Logger(label: "test"), metrics: NOOPMetricsHandler.instance, clock: FixedClock(),
            baseDirectory: base, environment: { _ in nil })
    }

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "file-replay-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
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
