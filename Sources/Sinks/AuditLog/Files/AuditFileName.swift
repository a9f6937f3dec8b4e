internal import Core

/// The name of one audit file: `audit-<first seq, 20 digits>-<UTC day YYYYMMDD>.jsonl`.
///
/// The first `seq` in the name orders the files (plain name order is the same,
/// as the width is fixed); the day is the UTC day (wall clock) the file was opened.
struct AuditFileName: Hashable, Comparable {
    var firstSeq: UInt64
    /// Days since 1970-01-01 (UTC).
    var day: Int64

    static let prefix = "audit-"
    static let suffix = ".jsonl"

    var text: String {
        var w = CanonicalJSONWriter()
        w.raw(Array(Self.prefix.utf8))
        w.appendDecimal(firstSeq, minimumWidth: 20)
        w.raw(UInt8(ascii: "-"))
        let (y, m, d) = Timestamp.civilFromDays(day)
        w.appendDecimal(UInt64(clamping: y), minimumWidth: 4)
        w.appendDecimal(UInt64(clamping: m), minimumWidth: 2)
        w.appendDecimal(UInt64(clamping: d), minimumWidth: 2)
        w.raw(Array(Self.suffix.utf8))
        return String(decoding: w.bytes, as: UTF8.self)
    }

    init(firstSeq: UInt64, day: Int64) {
        self.firstSeq = firstSeq
        self.day = day
    }

    /// Parses a name of this form; `nil` for any other file.
    init?(_ name: String) {
        let bytes = Array(name.utf8)
        let prefix = Array(Self.prefix.utf8)
        let suffix = Array(Self.suffix.utf8)
        guard bytes.count == prefix.count + 20 + 1 + 8 + suffix.count,
            bytes.starts(with: prefix), bytes.suffix(suffix.count).elementsEqual(suffix)
        else { return nil }
        func number(_ range: Range<Int>) -> UInt64? {
            var v: UInt64 = 0
            for i in range {
                let c = bytes[i]
                guard c >= 0x30, c <= 0x39 else { return nil }
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(c - 0x30))
                guard !o1, !o2 else { return nil }
                v = a
            }
            return v
        }
        let p = prefix.count
        guard let seq = number(p..<(p + 20)), bytes[p + 20] == UInt8(ascii: "-"),
            let year = number((p + 21)..<(p + 25)), let month = number((p + 25)..<(p + 27)),
            let day = number((p + 27)..<(p + 29)), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        self.firstSeq = seq
        self.day = Timestamp.daysFromCivil(year: Int64(year), month: Int64(month), day: Int64(day))
    }

    static func < (lhs: AuditFileName, rhs: AuditFileName) -> Bool {
        (lhs.firstSeq, lhs.day) < (rhs.firstSeq, rhs.day)
    }

    /// The UTC day number of an instant.
    static func day(of time: Timestamp) -> Int64 {
        let perDay = Timestamp.nanosecondsPerSecond * 86_400
        let (q, r) = time.nanosecondsSinceEpoch.quotientAndRemainder(dividingBy: perDay)
        return r < 0 ? q - 1 : q
    }

    /// The audit files in `directory`, in chain order.
    static func files(in directory: String) throws(AuditIOError) -> [AuditFileName] {
        try AuditDirectory.list(directory).compactMap { AuditFileName($0) }.sorted()
    }
}
