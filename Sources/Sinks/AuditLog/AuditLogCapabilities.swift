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
}
