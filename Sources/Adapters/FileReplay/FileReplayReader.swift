import Core
import Foundation
import WireFormats

/// Reads the input files in big chunks, splits them into lines and decodes
/// them into batches that end on line boundaries, each with the cursor just
/// after its last line.
struct FileReplayReader: ObservationReader {
    /// Read size per syscall.
    static let chunkSize = 4 << 20
    /// A longer line is rejected rather than buffered without bound.
    static let maximumLineLength = 64 << 20

    private let component: String
    private let settings: FileReplaySettings
    private let decoder: FixtureLineDecoder
    /// (name shown in cursors and errors, full path), in reading order.
    private let files: [(name: String, path: String)]
    private var fileIndex: Int
    private var handle: FileHandle?
    private var buffer: [UInt8] = []
    private var bufferStart = 0
    private var atEnd = false
    /// Offset in the current file of `buffer[bufferStart]`, and lines consumed so far.
    private var offset: Int64
    private var line: Int
    private var deadLetters: DeadLetterFile?
    /// The clock window every line's observations must lie in; `nil`: not checked.
    private let window: LineWindow?

    init(sourceID: String, settings: FileReplaySettings, cursor: SourceCursor?, window: LineWindow? = nil) throws {
        let component = "sources." + sourceID
        self.component = component
        self.settings = settings
        self.window = window
        self.decoder = FixtureLineDecoder(format: settings.format, source: sourceID)
        let files = try Self.listFiles(settings: settings, component: component)
        self.files = files
        self.fileIndex = 0
        self.offset = 0
        self.line = 0
        if let cursor {
            let position: FileReplayCursor
            do {
                position = try cursor.decode(as: FileReplayCursor.self)
            } catch {
                throw PluginError(.permanent, component: component, "unreadable cursor \(cursor.json): \(error)")
            }
            if files.count == 1, !Self.isDirectory(settings.path), files[0].name != position.file {
                throw PluginError(
                    .permanent, component: component,
                    "the cursor names file \(position.file) but path is \(settings.path)")
            }
            // Resume at the cursor's file, or (if it is gone) at the next name after it.
            let index =
                files.firstIndex { !$0.name.utf8.lexicographicallyPrecedes(position.file.utf8) } ?? files.count
            fileIndex = index
            if index < files.count, files[index].name == position.file {
                offset = position.offset
                line = position.line
            }
        }
        if settings.onError == .quarantine {
            deadLetters = try DeadLetterFile(path: settings.deadLetterPath, component: component)
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    private static func listFiles(settings: FileReplaySettings, component: String) throws -> [(
        name: String, path: String
    )] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: settings.path, isDirectory: &isDirectory) else {
            throw PluginError(.permanent, component: component, "\(settings.path): no such file or directory")
        }
        guard isDirectory.boolValue else {
            let name = settings.path.split(separator: "/").last.map(String.init) ?? settings.path
            return [(name, settings.path)]
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: settings.path)
        } catch {
            throw PluginError(.permanent, component: component, "cannot list \(settings.path): \(error)")
        }
        let directory = settings.path.hasSuffix("/") ? settings.path : settings.path + "/"
        return names.filter { $0.hasSuffix(".jsonl") && directory + $0 != settings.deadLetterPath }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .map { ($0, directory + $0) }
    }

    mutating func next() async throws -> ObservationBatch? {
        while fileIndex < files.count {
            if handle == nil { try open() }
            var observations: [Observation] = []
            observations.reserveCapacity(min(settings.batchSize, 1 << 16) + 64)
            var quarantined = 0
            var consumed = false
            var stoppedAtBadLine = false
            let now = window?.clock.now()
            while observations.count < settings.batchSize, let (start, end, next) = try nextLine() {
                if start != end {
                    let before = observations.count
                    do {
                        try decodeLine(start: start, end: end, into: &observations)
                        if let window, let now, let refusal = window.violation(in: observations, from: before, now: now)
                        {
                            throw refusal
                        }
                    } catch {
                        // Nothing of a refused line is emitted.
                        observations.removeSubrange(before...)
                        if deadLetters == nil, consumed {
                            // Hand on the good lines before this one first; the next call fails on it.
                            stoppedAtBadLine = true
                            break
                        }
                        try handleBadLine(error, start: start, end: end, lineNumber: line + 1, lineOffset: offset)
                        quarantined += 1
                    }
                }
                consumed = true
                line += 1
                offset += Int64(next - bufferStart)
                bufferStart = next
            }
            let name = files[fileIndex].name
            let cursor = FileReplayCursor(file: name, offset: offset, line: line)
            if observations.count < settings.batchSize, !stoppedAtBadLine {
                // The file is drained: the next call starts the next file.
                closeFile()
            }
            if consumed {
                try deadLetters?.flush()
                let encoded: SourceCursor
                do {
                    encoded = try SourceCursor(encoding: cursor)
                } catch {
                    throw PluginError(.permanent, component: component, "cannot encode the cursor: \(error)")
                }
                return ObservationBatch(
                    observations: observations, cursor: encoded, position: "\(name):\(cursor.line)",
                    quarantined: quarantined)
            }
        }
        return nil
    }

    private func decodeLine(start: Int, end: Int, into observations: inout [Observation]) throws(WireFormatError) {
        let decoder = self.decoder
        let result: Result<Void, WireFormatError> = buffer.withUnsafeBytes { all in
            do throws(WireFormatError) {
                try decoder.decode(UnsafeRawBufferPointer(rebasing: all[start..<end]), into: &observations)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    private mutating func handleBadLine(
        _ error: any Error, start: Int, end: Int, lineNumber: Int, lineOffset: Int64
    ) throws {
        let name = files[fileIndex].name
        guard let deadLetters else {
            throw PluginError(.permanent, component: component, "\(name):\(lineNumber): \(error)")
        }
        deadLetters.record(
            file: name, line: lineNumber, offset: lineOffset, error: "\(error)", raw: buffer[start..<end])
    }

    /// The next line's content range in `buffer` (without `\n` or a trailing `\r`, and
    /// empty when it is blank) and the index just after it; `nil` when the file is drained.
    private mutating func nextLine() throws -> (Int, Int, Int)? {
        var searchFrom = bufferStart
        while true {
            if let newline = buffer[searchFrom...].firstIndex(of: UInt8(ascii: "\n")) {
                let (start, end) = trimmed(bufferStart, newline)
                return (start, end, newline + 1)
            }
            if atEnd {
                guard bufferStart < buffer.count else { return nil }
                let (start, end) = trimmed(bufferStart, buffer.count)
                return (start, end, buffer.count)
            }
            guard buffer.count - bufferStart <= Self.maximumLineLength else {
                throw PluginError(
                    .permanent, component: component,
                    "\(files[fileIndex].name):\(line + 1): line longer than \(Self.maximumLineLength) bytes")
            }
            let scanned = buffer.count - bufferStart
            try readChunk()
            searchFrom = bufferStart + scanned
        }
    }

    /// Drops a trailing `\r`; a line of only whitespace becomes empty.
    private func trimmed(_ start: Int, _ end: Int) -> (Int, Int) {
        var e = end
        if e > start, buffer[e - 1] == UInt8(ascii: "\r") { e -= 1 }
        var k = start
        while k < e, buffer[k] == 0x20 || buffer[k] == 0x09 || buffer[k] == 0x0D { k += 1 }
        return k == e ? (start, start) : (start, e)
    }

    private mutating func readChunk() throws {
        guard let handle else { return }
        if bufferStart > 0 {
            buffer.removeSubrange(0..<bufferStart)
            bufferStart = 0
        }
        let data: Data?
        do {
            data = try handle.read(upToCount: Self.chunkSize)
        } catch {
            throw PluginError(.retryable, component: component, "\(files[fileIndex].path): read failed: \(error)")
        }
        guard let data, !data.isEmpty else {
            atEnd = true
            return
        }
        buffer.append(contentsOf: data)
    }

    private mutating func open() throws {
        let file = files[fileIndex]
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw PluginError(.permanent, component: component, "\(file.path): cannot open for reading")
        }
        do {
            let size = Int64(try handle.seekToEnd())
            guard offset <= size else {
                throw PluginError(
                    .permanent, component: component,
                    "\(file.name): the cursor offset \(offset) is beyond the end of the file (\(size) bytes); was it rewritten?"
                )
            }
            if offset > 0, offset < size {
                try handle.seek(toOffset: UInt64(offset - 1))
                let previous = try handle.read(upToCount: 1)
                guard previous?.first == UInt8(ascii: "\n") else {
                    throw PluginError(
                        .permanent, component: component,
                        "\(file.name): the cursor offset \(offset) is not at a line boundary; was the file rewritten?")
                }
            }
            try handle.seek(toOffset: UInt64(offset))
        } catch let error as PluginError {
            try? handle.close()
            throw error
        } catch {
            try? handle.close()
            throw PluginError(.retryable, component: component, "\(file.path): \(error)")
        }
        self.handle = handle
        buffer.removeAll(keepingCapacity: true)
        bufferStart = 0
        atEnd = false
    }

    private mutating func closeFile() {
        try? handle?.close()
        handle = nil
        buffer.removeAll(keepingCapacity: true)
        bufferStart = 0
        atEnd = false
        fileIndex += 1
        offset = 0
        line = 0
    }
}
