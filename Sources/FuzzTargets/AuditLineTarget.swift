internal import AuditLog

/// The audit line entry. Invariants: the canonical form of any JSON the audit
/// parser accepts is a fixed point (it parses, and re-encodes to itself), and a
/// usage line the verifier accepts is what the sink's encoder writes for the
/// fact it holds (all but the hash, which the fuzzer cannot forge).
enum AuditLineTarget {
    static func run(_ raw: UnsafeRawBufferPointer) throws(FuzzInvariantViolation) -> FuzzOutcome {
        let bytes = Array(raw)
        if let canonical = AuditLineCheck.canonicalForm(of: bytes) {
            guard AuditLineCheck.canonicalForm(of: canonical) == canonical else {
                throw FuzzInvariantViolation(
                    .auditLine, "canonical form \(String(decoding: canonical, as: UTF8.self)) is not stable")
            }
        }
        let accepted = (try? AuditLineCheck.read(bytes)) != nil
        guard let written = AuditLineCheck.sinkLine(for: bytes) else { return accepted ? .accepted : .refused }
        // Both end in `,"hash":"<64 hex>"}` (75 bytes).
        guard written.count == bytes.count, written.dropLast(75) == bytes.dropLast(75) else {
            throw FuzzInvariantViolation(
                .auditLine,
                "the sink writes \(String(decoding: written, as: UTF8.self)) for \(String(decoding: bytes, as: UTF8.self))"
            )
        }
        return .accepted
    }
}
