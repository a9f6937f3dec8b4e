/// Streams the `usage` records of an audit file or directory, in chain order,
/// verifying the chain as it reads (a tampered line is an error, never data).
///
/// Exists for tests that compare audit content across runs and for
/// `rate --from-audit`; `cut` and `open` lines are checked and skipped.
public struct AuditUsageReader {
    private var scanner: AuditChainScanner

    /// Opens `path` (a file or a directory of `audit-*.jsonl` files).
    public init(path: String) throws(AuditVerificationError) {
        self.scanner = try AuditChainScanner(path: path)
    }

    /// The next usage record, or `nil` at the end of the chain.
    public mutating func next() throws(AuditVerificationError) -> AuditUsageRecord? {
        while let scanned = try scanner.next() {
            if let usage = scanned.usage { return usage }
        }
        return nil
    }

    /// Every usage record of `path` (convenient for tests and small files).
    public static func readAll(path: String) throws(AuditVerificationError) -> [AuditUsageRecord] {
        var reader = try AuditUsageReader(path: path)
        var out: [AuditUsageRecord] = []
        while let record = try reader.next() { out.append(record) }
        return out
    }
}
