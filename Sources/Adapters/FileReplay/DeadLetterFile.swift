import Core
import Foundation

/// The `on_error: quarantine` side file: one JSON object per rejected line,
/// `{"error", "file", "line", "offset", "raw"}` (plus `raw_base64` when the line
/// is not valid UTF-8, since `raw` then holds U+FFFD replacements).
///
/// Idempotent across replays: a line already recorded (same file and byte
/// offset) is not appended again, so a crash between writing dead letters and
/// committing the cursor does not duplicate them.
final class DeadLetterFile {
    struct Record: Codable {
        var file: String
        var line: Int
        var offset: Int64
        var error: String
        var raw: String
        var rawBase64: String?

        enum CodingKeys: String, CodingKey {
            case file, line, offset, error, raw
            case rawBase64 = "raw_base64"
        }
    }

    private struct Key: Hashable {
        var file: String
        var offset: Int64
    }

    let path: String
    private let component: String
    private var recorded: Set<Key> = []
    private var pending = Data()
    private var needsNewline = false

    init(path: String, component: String) throws {
        self.path = path
        self.component = component
        guard let existing = FileManager.default.contents(atPath: path) else { return }
        needsNewline = !(existing.isEmpty || existing.last == UInt8(ascii: "\n"))
        let decoder = JSONDecoder()
        for line in existing.split(separator: UInt8(ascii: "\n")) {
            // A torn last line (crash mid-append) does not parse and is simply not a key.
            guard let record = try? decoder.decode(Record.self, from: Data(line)) else { continue }
            recorded.insert(Key(file: record.file, offset: record.offset))
        }
    }

    /// Queues a rejected line unless it was recorded before; `flush` makes it durable.
    func record(file: String, line: Int, offset: Int64, error: String, raw: ArraySlice<UInt8>) {
        guard recorded.insert(Key(file: file, offset: offset)).inserted else { return }
        let text = String(decoding: raw, as: UTF8.self)
        let valid = text.utf8.elementsEqual(raw)
        let record = Record(
            file: file, line: line, offset: offset, error: error, raw: text,
            rawBase64: valid ? nil : Data(raw).base64EncodedString())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let json = try? encoder.encode(record) else { return }
        if needsNewline {
            pending.append(UInt8(ascii: "\n"))
            needsNewline = false
        }
        pending.append(json)
        pending.append(UInt8(ascii: "\n"))
    }

    /// Appends the queued records and fsyncs, before the batch that counted them is handed on.
    func flush() throws {
        guard !pending.isEmpty else { return }
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw PluginError(.permanent, component: component, "\(path): cannot create the dead-letter file")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw PluginError(.permanent, component: component, "\(path): cannot open the dead-letter file")
        }
        defer { try? handle.close() }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: pending)
            try handle.synchronize()
        } catch {
            throw PluginError(.retryable, component: component, "\(path): cannot append dead letters: \(error)")
        }
        pending.removeAll()
    }
}
