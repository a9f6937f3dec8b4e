internal import Core

/// Walks an audit chain (one file, or a directory of rotated files) line by line
/// and checks every rule of docs/audit-format.md as it goes; the verifier and
/// the usage reader are thin loops over it.
struct AuditChainScanner {
    /// One checked line.
    struct Scanned {
        var envelope: AuditLineSchema.Envelope
        var usage: AuditUsageRecord?
        var invoice: InvoiceAuditEntry? = nil
    }

    private let paths: [String]
    /// In directory mode, file names must match their `open` records and order.
    private let directoryMode: Bool
    private var fileIndex = -1
    private var reader: ForwardLineReader?
    private var linesInFile = 0
    private var previousFileName: String?

    private(set) var lineCount = 0
    private(set) var usageLines = 0
    private(set) var cutLines = 0
    private(set) var invoiceLines = 0
    /// Lines the fast path accepted (the rest took the slow path).
    private(set) var fastLines = 0
    /// Every `fact_id` of the chain's usage lines so far: a fact is billed once,
    /// so a second line with the same id is an error (a batch written twice).
    private var factIDs = Set<FactID>()
    private(set) var firstSeq: UInt64 = 0
    private(set) var anchorHash: [UInt8] = AuditChain.genesisHash
    private(set) var chain: AuditChain?

    var files: [String] { paths }

    /// The name (without its directory) of the file the last line came from.
    var currentFileName: String { Self.baseName(paths[max(0, min(fileIndex, paths.count - 1))]) }

    /// Whether `advance()` may take `AuditFastUsageCheck` for usage lines (tests turn it off
    /// to compare both paths).
    let fastPath: Bool

    init(path: String, fastPath: Bool = true) throws(AuditVerificationError) {
        self.fastPath = fastPath
        if AuditDirectory.isDirectory(path) {
            let names: [AuditFileName]
            do {
                names = try AuditFileName.files(in: path)
            } catch {
                throw AuditVerificationError(file: path, line: 0, problem: .unreadable(error.description))
            }
            guard !names.isEmpty else {
                throw AuditVerificationError(file: path, line: 0, problem: .unreadable("no audit-*.jsonl files"))
            }
            let base = path.hasSuffix("/") ? path : path + "/"
            self.paths = names.map { base + $0.text }
            self.directoryMode = true
        } else {
            guard AuditDirectory.exists(path) else {
                throw AuditVerificationError(file: path, line: 0, problem: .unreadable("no such file or directory"))
            }
            self.paths = [path]
            self.directoryMode = false
        }
    }

    private static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// The next checked line, or `nil` at the end of the chain.
    mutating func next() throws(AuditVerificationError) -> Scanned? {
        var scanned: Scanned?
        guard try step(wantRecord: true, into: &scanned) else { return nil }
        return scanned
    }

    /// Checks the next line without building a record; `false` at the end of the chain.
    /// Takes the fast path for usage lines when it can.
    mutating func advance() throws(AuditVerificationError) -> Bool {
        var scanned: Scanned?
        return try step(wantRecord: false, into: &scanned)
    }

    /// Checks the next line; `false` at the end of the chain. `scanned` gets the
    /// line's record unless the fast path took it.
    private mutating func step(wantRecord: Bool, into scanned: inout Scanned?) throws(AuditVerificationError) -> Bool {
        while true {
            if reader == nil {
                fileIndex += 1
                guard fileIndex < paths.count else { return false }
                do {
                    reader = try ForwardLineReader(path: paths[fileIndex])
                } catch {
                    throw AuditVerificationError(
                        file: paths[fileIndex], line: 0, problem: .unreadable(error.description))
                }
                linesInFile = 0
            }
            let path = paths[fileIndex]
            let slice: ForwardLineReader.Slice?
            do {
                slice = try reader?.nextSlice()
            } catch {
                throw AuditVerificationError(file: path, line: linesInFile + 1, problem: .unreadable(error.description))
            }
            guard let slice, let reader else {
                self.reader = nil
                if linesInFile == 0 { throw AuditVerificationError(file: path, line: 0, problem: .emptyFile) }
                previousFileName = Self.baseName(path)
                continue
            }
            linesInFile += 1
            if !wantRecord && fastPath && slice.complete && slice.number > 1, var current = chain {
                var factID = FactID(high: 0, low: 0)
                let held = reader.withBytes(of: slice) { bytes in
                    current.lastHash.withUnsafeBytes { previous in
                        AuditFastUsageCheck.holds(
                            bytes, expectedSeq: current.seq + 1, previousHash: previous, factID: &factID)
                    }
                }
                if held {
                    guard factIDs.insert(factID).inserted else {
                        throw AuditVerificationError(
                            file: path, line: slice.number, problem: .duplicateFactID(factID.uuidString))
                    }
                    // Advance the chain in place: the stored hash is the line's last 66...3 bytes.
                    chain = nil
                    reader.withBytes(of: slice) { bytes in
                        let stored = UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - 66)..<(bytes.count - 2)])
                        current.lastHash.withUnsafeMutableBytes { $0.copyMemory(from: stored) }
                    }
                    current.seq += 1
                    chain = current
                    lineCount += 1
                    usageLines += 1
                    fastLines += 1
                    return true
                }
            }
            do throws(AuditVerificationError.Problem) {
                scanned = try check(reader.line(slice))
                return true
            } catch {
                throw AuditVerificationError(file: path, line: slice.number, problem: error)
            }
        }
    }

    private mutating func check(_ line: ForwardLineReader.Line) throws(AuditVerificationError.Problem) -> Scanned {
        guard line.complete else { throw .incompleteLine }
        let envelope = try AuditLineSchema.envelope(of: line.bytes)
        var canonical = CanonicalJSONWriter()
        AuditJSON.object(envelope.members).write(to: &canonical)
        guard canonical.bytes == line.bytes else { throw .notCanonical }
        try AuditLineSchema.checkMembers(envelope)

        let firstInFile = line.number == 1
        let prevHash = Array(envelope.prevHash.utf8)
        if let chain {
            if envelope.seq != chain.seq + 1 {
                if firstInFile {
                    throw .chainBreakAcrossFiles(
                        "first seq is \(envelope.seq), previous file ends at seq \(chain.seq)")
                }
                throw .seqGap(expected: chain.seq + 1, found: envelope.seq)
            }
            if prevHash != chain.lastHash {
                if firstInFile {
                    throw .chainBreakAcrossFiles(
                        "prev_hash \(envelope.prevHash) is not the previous file's last hash \(chain.lastHashText)")
                }
                throw .prevHashMismatch(expected: chain.lastHashText, found: envelope.prevHash)
            }
        } else {
            // The first line checked anchors the chain: genesis when it is seq 1.
            guard envelope.seq >= 1 else { throw .seqGap(expected: 1, found: 0) }
            if envelope.seq == 1 && prevHash != AuditChain.genesisHash {
                throw .prevHashMismatch(
                    expected: String(decoding: AuditChain.genesisHash, as: UTF8.self), found: envelope.prevHash)
            }
            firstSeq = envelope.seq
            anchorHash = prevHash
        }

        // Body: the line without its final `,"hash":"<64 hex>"` member.
        let bodyEnd = line.bytes.count - 75
        let computed = line.bytes.withUnsafeBytes { raw in
            var body = Array(raw[..<bodyEnd])
            body.append(UInt8(ascii: "}"))
            return body.withUnsafeBytes { AuditChain.hashHex(previous: prevHash, body: $0) }
        }
        let stored = Array(envelope.hash.utf8)
        guard computed == stored else {
            throw .hashMismatch(computed: String(decoding: computed, as: UTF8.self), stored: envelope.hash)
        }

        var usage: AuditUsageRecord?
        var invoice: InvoiceAuditEntry?
        switch envelope.kind {
        case "open":
            guard firstInFile else { throw .malformedField("an open line may only be the first line of a file") }
            let (file, previous) = try AuditLineSchema.open(envelope)
            if directoryMode {
                let name = Self.baseName(paths[fileIndex])
                guard file == name else {
                    throw .fileMismatch("open line names \"\(file)\" but the file is \"\(name)\"")
                }
                guard AuditFileName(name)?.firstSeq == envelope.seq else {
                    throw .fileMismatch(
                        "file name says first seq \(AuditFileName(name)?.firstSeq ?? 0), line has \(envelope.seq)")
                }
                if let previousFileName, previous != previousFileName {
                    throw .chainBreakAcrossFiles(
                        "open line names previous file \(previous ?? "null"), found \(previousFileName)")
                }
            }
        case "usage":
            guard !firstInFile else { throw .fileMismatch("the first line of a file must be an open line") }
            let record = try AuditLineSchema.usage(envelope)
            guard factIDs.insert(record.fact.id).inserted else { throw .duplicateFactID(record.fact.id.uuidString) }
            usage = record
            usageLines += 1
        case "invoice":
            guard !firstInFile else { throw .fileMismatch("the first line of a file must be an open line") }
            invoice = try AuditLineSchema.invoice(envelope)
            invoiceLines += 1
        default:
            guard !firstInFile else { throw .fileMismatch("the first line of a file must be an open line") }
            try AuditLineSchema.checkCut(envelope)
            cutLines += 1
        }
        chain = AuditChain(seq: envelope.seq, lastHash: stored)
        lineCount += 1
        return Scanned(envelope: envelope, usage: usage, invoice: invoice)
    }
}
