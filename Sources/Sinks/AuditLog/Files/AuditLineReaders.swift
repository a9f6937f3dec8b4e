#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Reads a file's lines front to back in fixed-size chunks (never the whole file).
struct ForwardLineReader {
    /// One line without its newline; `complete` is false for a last line with no newline.
    struct Line {
        var bytes: [UInt8]
        /// 1-based line number in the file.
        var number: Int
        var offset: Int64
        var complete: Bool
    }

    private let file: AuditFileIO
    private let chunkSize: Int
    private var buffer: [UInt8] = []
    private var bufferStart = 0
    private var fileOffset: Int64 = 0
    /// File offset of `buffer[bufferStart]`.
    private var consumedOffset: Int64 = 0
    private var lineNumber = 0
    private var atEnd = false

    init(path: String, chunkSize: Int = 1 << 20) throws(AuditIOError) {
        self.file = try AuditFileIO(path: path, mode: .read)
        self.chunkSize = chunkSize
    }

    mutating func next() throws(AuditIOError) -> Line? {
        guard let slice = try nextSlice() else { return nil }
        return line(slice)
    }

    /// Where the next line is in the reader's buffer; valid until the next call.
    struct Slice {
        var range: Range<Int>
        var number: Int
        var offset: Int64
        var complete: Bool
    }

    /// The next line without copying it (see `withBytes(of:_:)`), or `nil` at the end.
    mutating func nextSlice() throws(AuditIOError) -> Slice? {
        while true {
            let newline = buffer.withUnsafeBytes { raw -> Int? in
                guard let base = raw.baseAddress, bufferStart < raw.count,
                    let found = memchr(base + bufferStart, 0x0a, raw.count - bufferStart)
                else { return nil }
                return UnsafeRawPointer(found) - base
            }
            if let newline {
                let slice = Slice(
                    range: bufferStart..<newline, number: lineNumber + 1, offset: consumedOffset, complete: true)
                consumedOffset += Int64(newline + 1 - bufferStart)
                bufferStart = newline + 1
                lineNumber += 1
                return slice
            }
            if atEnd {
                guard bufferStart < buffer.count else { return nil }
                let slice = Slice(
                    range: bufferStart..<buffer.count, number: lineNumber + 1, offset: consumedOffset, complete: false)
                consumedOffset += Int64(buffer.count - bufferStart)
                bufferStart = buffer.count
                lineNumber += 1
                return slice
            }
            let chunk = try file.read(count: chunkSize, at: fileOffset)
            fileOffset += Int64(chunk.count)
            if chunk.count < chunkSize { atEnd = true }
            buffer.removeSubrange(..<bufferStart)
            bufferStart = 0
            buffer.append(contentsOf: chunk)
        }
    }

    /// The bytes of a line `nextSlice()` just returned.
    func withBytes<R>(of slice: Slice, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[slice.range])) }
    }

    /// A copy of a line `nextSlice()` just returned.
    func line(_ slice: Slice) -> Line {
        Line(bytes: Array(buffer[slice.range]), number: slice.number, offset: slice.offset, complete: slice.complete)
    }
}

/// Reads a file's complete lines back to front from a given end, in chunks, so
/// finding the end of the chain does not load a whole file.
struct BackwardLineReader {
    struct Line {
        var bytes: [UInt8]
        /// File offset of the line's first byte.
        var offset: Int64
        /// File offset just past the line's newline.
        var end: Int64
    }

    private let file: AuditFileIO
    private let chunkSize: Int
    /// Bytes of the file at `windowStart ..< windowStart + window.count`.
    private var window: [UInt8] = []
    private var windowStart: Int64
    /// Offset just past the newline of the next line to return.
    private var end: Int64

    /// `end` must be 0 or the offset just past a newline.
    init(path: String, end: Int64, chunkSize: Int = 1 << 16) throws(AuditIOError) {
        self.file = try AuditFileIO(path: path, mode: .read)
        self.chunkSize = chunkSize
        self.end = end
        self.windowStart = end
    }

    mutating func previous() throws(AuditIOError) -> Line? {
        guard end > 0 else { return nil }
        let lineEnd = end - 1  // the newline
        while true {
            // Search [windowStart, lineEnd) for the previous newline.
            let localEnd = Int(lineEnd - windowStart)
            if localEnd >= 0, let newline = window[..<localEnd].lastIndex(of: UInt8(ascii: "\n")) {
                let start = windowStart + Int64(newline + 1)
                let line = Line(bytes: Array(window[(newline + 1)..<localEnd]), offset: start, end: end)
                end = start
                return line
            }
            if windowStart == 0 {
                let line = Line(bytes: Array(window[..<max(localEnd, 0)]), offset: 0, end: end)
                end = 0
                return line
            }
            // Grow the window backwards by one chunk (keep what was read).
            let newStart = max(0, windowStart - Int64(chunkSize))
            let chunk = try file.read(count: Int(windowStart - newStart), at: newStart)
            let keep = window[..<min(window.count, max(0, Int(end - windowStart)))]
            window = chunk + keep
            windowStart = newStart
        }
    }
}
