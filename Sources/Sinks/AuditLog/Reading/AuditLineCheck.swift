internal import Core

/// The per-line half of `audit verify` (everything but the chain: `seq` order,
/// `prev_hash` and `hash`) over bytes in memory, visible inside the package only.
///
/// Exists for the fuzz targets and their corpus replay test (Sources/FuzzTargets),
/// which must drive the same parser and schema as the verifier without files.
package enum AuditLineCheck {
    /// Parses `line` (no newline) as the verifier does and reads its kind's members:
    /// the usage record of a `usage` line, `nil` for a valid `cut`, `open` or `invoice` line.
    package static func read(_ line: [UInt8]) throws(AuditVerificationError.Problem) -> AuditUsageRecord? {
        let envelope = try AuditLineSchema.envelope(of: line)
        guard canonicalForm(of: envelope) == line else { throw .notCanonical }
        try AuditLineSchema.checkMembers(envelope)
        switch envelope.kind {
        case "usage": return try AuditLineSchema.usage(envelope)
        case "cut": try AuditLineSchema.checkCut(envelope)
        case "open": _ = try AuditLineSchema.open(envelope)
        case "invoice": _ = try AuditLineSchema.invoice(envelope)
        default: throw .unknownKind(envelope.kind)
        }
        return nil
    }

    /// The line the sink's encoder writes for the fact of the `usage` line `line`, at
    /// the same `seq` after the same `prev_hash` (without its newline); `nil` when the
    /// line is not a valid usage line, its unit is not the one the sink writes for its
    /// metric, or the encoder refuses the fact. Apart from the final `hash` member
    /// (which the fuzzer cannot forge) it must equal `line`: reader and writer agree.
    package static func sinkLine(for line: [UInt8]) -> [UInt8]? {
        guard let envelope = try? AuditLineSchema.envelope(of: line), envelope.seq >= 1,
            let record = try? read(line)
        else { return nil }
        var units = MetricUnitCache()
        guard units.unit(of: record.fact.series.metric) == record.unit else { return nil }
        var chain = AuditChain(seq: envelope.seq - 1, lastHash: Array(envelope.prevHash.utf8))
        var writer = CanonicalJSONWriter()
        do {
            try AuditLineEncoder.appendUsage(
                record.fact, pipeline: record.pipeline, batch: record.batch, chain: &chain, to: &writer)
        } catch { return nil }
        var bytes = writer.bytes
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        return bytes
    }

    /// The canonical re-encoding of any JSON value the audit parser accepts, or
    /// `nil` when it refuses the bytes.
    package static func canonicalForm(of bytes: [UInt8]) -> [UInt8]? {
        guard let json = try? AuditJSONParser.parse(bytes) else { return nil }
        var writer = CanonicalJSONWriter()
        json.write(to: &writer)
        return writer.bytes
    }

    private static func canonicalForm(of envelope: AuditLineSchema.Envelope) -> [UInt8] {
        var writer = CanonicalJSONWriter()
        AuditJSON.object(envelope.members).write(to: &writer)
        return writer.bytes
    }
}
