public import Core

/// What the host's audit tools ask of the `jsonl_audit` sink type: verifying
/// a trail it wrote and reading the usage back, so `audit verify` and
/// `rate --from-audit` need no import of this target.
extension AuditLogFactory: AuditTrailReading {
    public func verifyAuditTrail(at path: String) throws -> String {
        String(describing: try AuditVerifier.verify(path: path))
    }

    public func auditedUsage(at path: String) throws -> [UsageFact] {
        try AuditUsageReader.readAll(path: path).map(\.fact)
    }

    public func auditedUsage(at path: String, through seq: Int64?) throws -> (
        facts: [UsageFact], reached: AuditPosition?
    ) {
        var scanner = try AuditChainScanner(path: path)
        var facts: [UsageFact] = []
        while let line = try scanner.next() {
            if let usage = line.usage { facts.append(usage.fact) }
            if let seq, line.envelope.seq >= UInt64(max(0, seq)) {
                let file = scanner.currentFileName
                return (facts, AuditPosition(file: file, seq: Int64(line.envelope.seq), hash: line.envelope.hash))
            }
        }
        return (facts, nil)
    }
}
