/// What `AuditVerifier.verify` found when the whole chain holds: the figures
/// `billing-service audit verify` prints.
public struct AuditVerification: Hashable, Sendable {
    /// Lines checked, across all files.
    public var lineCount: Int
    /// The files checked, as given or found, in chain order (full paths).
    public var files: [String]
    /// `seq` of the first line checked (1 unless older files were archived away).
    public var firstSeq: UInt64
    /// `prev_hash` of the first line checked (64 zeros when `firstSeq` is 1): the
    /// anchor an auditor compares with the last hash of the archived part.
    public var anchorHash: String
    /// `seq` and `hash` of the last line: what an auditor records to detect a
    /// later rewrite of everything up to here.
    public var lastSeq: UInt64
    public var lastHash: String
    public var usageLines: Int
    public var cutLines: Int
    /// `invoice` lines (finalizations and voids), in an invoicing audit trail.
    public var invoiceLines: Int

    public init(
        lineCount: Int, files: [String], firstSeq: UInt64, anchorHash: String, lastSeq: UInt64, lastHash: String,
        usageLines: Int, cutLines: Int, invoiceLines: Int = 0
    ) {
        self.lineCount = lineCount
        self.files = files
        self.firstSeq = firstSeq
        self.anchorHash = anchorHash
        self.lastSeq = lastSeq
        self.lastHash = lastHash
        self.usageLines = usageLines
        self.cutLines = cutLines
        self.invoiceLines = invoiceLines
    }
}

/// The first place where an audit chain does not hold, and what is wrong there.
/// `file` and `line` (1-based within the file) point at the bad line.
public struct AuditVerificationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, most specific first.
    public enum Problem: Error, Hashable, Sendable, CustomStringConvertible {
        /// The path does not exist, is unreadable, or a directory holds no audit files.
        case unreadable(String)
        /// A file has no lines at all.
        case emptyFile
        /// The last line of the last file has no newline (a crash mid-write; the
        /// sink cuts it when it next opens).
        case incompleteLine
        /// The line is not JSON (or not an object, or has a non-integer number).
        case malformedJSON(String)
        /// The line is JSON but not in canonical form (whitespace, escapes, key order).
        case notCanonical
        /// A required member is missing, has the wrong type, or the members differ
        /// from the kind's fixed list.
        case malformedField(String)
        case unknownKind(String)
        /// `seq` is not the previous line's `seq` + 1.
        case seqGap(expected: UInt64, found: UInt64)
        /// `prev_hash` is not the previous line's `hash` (within one file).
        case prevHashMismatch(expected: String, found: String)
        /// A file's first line does not continue the previous file's last line
        /// (`seq` or `prev_hash`), or its `open` record names another previous file.
        case chainBreakAcrossFiles(String)
        /// `hash` is not SHA-256 of the previous hash and this line's body.
        case hashMismatch(computed: String, stored: String)
        /// The file's name or `open` record does not match its place in the chain.
        case fileMismatch(String)
        /// A `usage` line repeats the `fact_id` of an earlier one: the same fact
        /// would be billed twice. Holds the id (the earlier line has the same text).
        case duplicateFactID(String)

        public var description: String {
            switch self {
            case .unreadable(let why): return "cannot read: \(why)"
            case .emptyFile: return "file has no lines"
            case .incompleteLine: return "incomplete last line (no newline; a write was cut short)"
            case .malformedJSON(let why): return "malformed JSON: \(why)"
            case .notCanonical: return "line is not in canonical form"
            case .malformedField(let why): return "bad field: \(why)"
            case .unknownKind(let kind): return "unknown kind \"\(kind)\""
            case .seqGap(let expected, let found): return "seq gap: expected \(expected), found \(found)"
            case .prevHashMismatch(let expected, let found):
                return "prev_hash mismatch: previous line's hash is \(expected), prev_hash is \(found)"
            case .chainBreakAcrossFiles(let why): return "chain break across files: \(why)"
            case .hashMismatch(let computed, let stored):
                return "hash mismatch: computed \(computed), stored \(stored)"
            case .fileMismatch(let why): return "file mismatch: \(why)"
            case .duplicateFactID(let id):
                return "duplicate fact_id \(id): an earlier usage line has the same fact (it would be billed twice)"
            }
        }
    }

    public var file: String
    /// 1-based line number in `file`; 0 when the problem is the file itself.
    public var line: Int
    public var problem: Problem

    public init(file: String, line: Int, problem: Problem) {
        self.file = file
        self.line = line
        self.problem = problem
    }

    public var description: String {
        line > 0 ? "\(file):\(line): \(problem)" : "\(file): \(problem)"
    }
}
