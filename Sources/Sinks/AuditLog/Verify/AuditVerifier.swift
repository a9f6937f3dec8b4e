/// Checks an audit chain end to end: the engine of `billing-service audit verify PATH`.
public enum AuditVerifier {
    /// Verifies `path`, one audit file or a directory of rotated `audit-*.jsonl`
    /// files, reading each file once, front to back, in chunks.
    ///
    /// Returns the line count, files, first and last `seq` and the last hash when
    /// every line holds; throws the first bad file and line otherwise.
    public static func verify(path: String) throws(AuditVerificationError) -> AuditVerification {
        try verify(path: path, fastPath: true)
    }

    /// `fastPath: false` checks every line the slow, general way (for tests
    /// that compare the two paths).
    static func verify(path: String, fastPath: Bool) throws(AuditVerificationError) -> AuditVerification {
        var scanner = try AuditChainScanner(path: path, fastPath: fastPath)
        while try scanner.advance() {}
        let chain = scanner.chain ?? .genesis
        return AuditVerification(
            lineCount: scanner.lineCount, files: scanner.files, firstSeq: scanner.firstSeq,
            anchorHash: String(decoding: scanner.anchorHash, as: UTF8.self), lastSeq: chain.seq,
            lastHash: chain.lastHashText, usageLines: scanner.usageLines, cutLines: scanner.cutLines,
            invoiceLines: scanner.invoiceLines)
    }
}
