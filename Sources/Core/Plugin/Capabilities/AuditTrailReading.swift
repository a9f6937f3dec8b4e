/// A sink factory whose sinks write a tamper-evident audit trail that tools
/// read back: `billing-service audit verify` checks its chain and
/// `billing-service rate --from-audit` prices the usage it holds, without the
/// host knowing the trail's file format or the sink that wrote it.
public protocol AuditTrailReading: SinkFactory {
    /// Checks the chain of `path`, one audit file or a directory of them, end
    /// to end. Returns what was checked in the words `audit verify` prints
    /// after `ok: `; throws an error naming the first bad file and line.
    func verifyAuditTrail(at path: String) throws -> String
    /// The usage facts of `path` (a file or a directory), in chain order, the
    /// chain verified as it is read; throws an error naming the first bad file and line.
    func auditedUsage(at path: String) throws -> [UsageFact]
    /// The usage facts of `path` up to and including the line `seq` (all when
    /// nil), and that line's position (nil when the chain ends before it), so a
    /// reader can check the line is the one an invoice recorded.
    func auditedUsage(at path: String, through seq: Int64?) throws -> (facts: [UsageFact], reached: AuditPosition?)
}
