internal import Core

/// Finds the end of the chain in an audit directory and plans the cut of an
/// uncommitted tail: every line after the last line that is committed (a
/// `usage` line of a batch ≤ the committed sequence, or a `cut` line), plus an
/// incomplete last line. Reads files from the end only.
struct AuditTailCut {
    /// Why the directory cannot be opened; never retryable by itself.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The last line that stays.
    struct Kept {
        var fileIndex: Int
        /// Offset just past the kept line's newline: the file's new length.
        var end: Int64
        var chain: AuditChain
    }

    var files: [AuditFileName]
    var kept: Kept?
    /// Files after the kept line's file (or all files), removed whole.
    var removedFiles: [AuditFileName] = []
    var removedLines: UInt64 = 0
    var firstRemovedSeq: UInt64?
    var lastRemovedSeq: UInt64?
    var firstRemovedBatch: UInt64?
    var lastRemovedBatch: UInt64?
    var tornBytes: UInt64 = 0

    var cutsAnything: Bool { removedLines > 0 || tornBytes > 0 || !removedFiles.isEmpty }

    /// The kept file's name, if any file stays.
    var keptFile: AuditFileName? { kept.map { files[$0.fileIndex] } }

    static func plan(directory: String, pipeline: String, lastCommitted: UInt64) throws -> AuditTailCut {
        let files = try AuditFileName.files(in: directory)
        var plan = AuditTailCut(files: files)
        for index in files.indices.reversed() {
            let path = directory + "/" + files[index].text
            let file = try AuditFileIO(path: path, mode: .read)
            let size = try file.size()
            let end = try Self.endOfLastLine(file, size: size)
            if size != end {
                guard index == files.count - 1 else {
                    throw Failure(description: "\(path) ends in an incomplete line but is not the last file")
                }
                plan.tornBytes = UInt64(size - end)
            }
            var reader = try BackwardLineReader(path: path, end: end)
            while let line = try reader.previous() {
                let envelope: AuditLineSchema.Envelope
                do {
                    envelope = try AuditLineSchema.envelope(of: line.bytes)
                } catch {
                    throw Failure(
                        description: "\(path) has a corrupt line at byte \(line.offset) (\(error)); run audit verify")
                }
                let json = AuditJSON.object(envelope.members)
                switch envelope.kind {
                case "usage":
                    let batch = try AuditLineSchema.unsigned(json, "batch")
                    if batch <= lastCommitted {
                        try Self.checkPipeline(json, pipeline, path)
                        plan.keep(index, line, envelope)
                        return plan
                    }
                    plan.remove(envelope.seq, batch: batch)
                case "cut":
                    try Self.checkPipeline(json, pipeline, path)
                    let committed = try AuditLineSchema.unsigned(json, "committed_batch")
                    guard committed <= lastCommitted else {
                        throw Failure(
                            description: "\(path) records batch \(committed) as committed, but the state store's last "
                                + "committed batch is \(lastCommitted): the state does not belong to this audit log")
                    }
                    plan.keep(index, line, envelope)
                    return plan
                case "invoice":
                    // Invoice lines are committed when written (no batch follows them).
                    plan.keep(index, line, envelope)
                    return plan
                case "open":
                    plan.remove(envelope.seq, batch: nil)
                default:
                    throw Failure(description: "\(path) has a line of unknown kind \"\(envelope.kind)\"")
                }
            }
            plan.removedFiles.insert(files[index], at: 0)
        }
        return plan
    }

    private mutating func keep(_ index: Int, _ line: BackwardLineReader.Line, _ envelope: AuditLineSchema.Envelope) {
        kept = Kept(
            fileIndex: index, end: line.end, chain: AuditChain(seq: envelope.seq, lastHash: Array(envelope.hash.utf8)))
    }

    private mutating func remove(_ seq: UInt64, batch: UInt64?) {
        removedLines += 1
        if lastRemovedSeq == nil { lastRemovedSeq = seq }
        firstRemovedSeq = seq
        if let batch {
            if lastRemovedBatch == nil { lastRemovedBatch = batch }
            firstRemovedBatch = min(firstRemovedBatch ?? batch, batch)
            lastRemovedBatch = max(lastRemovedBatch ?? batch, batch)
        }
    }

    private static func checkPipeline(_ json: AuditJSON, _ pipeline: String, _ path: String) throws {
        let written = try AuditLineSchema.string(json, "pipeline")
        guard written == pipeline else {
            throw Failure(description: "\(path) was written by pipeline \"\(written)\", not \"\(pipeline)\"")
        }
    }

    /// Offset just past the last newline (0 when the file has none).
    static func endOfLastLine(_ file: AuditFileIO, size: Int64) throws -> Int64 {
        var position = size
        let chunk: Int64 = 1 << 16
        while position > 0 {
            let start = max(0, position - chunk)
            let bytes = try file.read(count: Int(position - start), at: start)
            if let newline = bytes.lastIndex(of: UInt8(ascii: "\n")) { return start + Int64(newline) + 1 }
            position = start
        }
        return 0
    }
}
