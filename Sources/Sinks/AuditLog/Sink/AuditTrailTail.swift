internal import Core

/// Reads an audit directory from its end: where the trail stands now, and the
/// invoice lines after a given line. A torn last line (a write in progress, or
/// a crash) is skipped, so a reader never reports a line that is not whole.
enum AuditTrailTail {
    static func lastPosition(directory: String) throws -> AuditPosition? {
        var found: AuditPosition?
        try walkBack(directory: directory) { name, envelope in
            found = AuditPosition(file: name, seq: Int64(envelope.seq), hash: envelope.hash)
            return false
        }
        return found
    }

    /// The `invoice` lines after line `seq`, in chain order.
    static func invoiceEntries(directory: String, after seq: Int64) throws -> [(
        entry: InvoiceAuditEntry, position: AuditPosition
    )] {
        var out: [(entry: InvoiceAuditEntry, position: AuditPosition)] = []
        try walkBack(directory: directory) { name, envelope in
            guard Int64(envelope.seq) > seq else { return false }
            if envelope.kind == "invoice" {
                try AuditLineSchema.checkMembers(envelope)
                let entry = try AuditLineSchema.invoice(envelope)
                out.append((entry, AuditPosition(file: name, seq: Int64(envelope.seq), hash: envelope.hash)))
            }
            return true
        }
        return out.reversed()
    }

    /// Calls `visit` with every complete line from the newest backwards until it returns false.
    private static func walkBack(
        directory: String, _ visit: (String, AuditLineSchema.Envelope) throws -> Bool
    ) throws {
        guard AuditDirectory.exists(directory) else { return }
        for name in try AuditFileName.files(in: directory).reversed() {
            let path = directory + "/" + name.text
            let file = try AuditFileIO(path: path, mode: .read)
            let end = try AuditTailCut.endOfLastLine(file, size: try file.size())
            var reader = try BackwardLineReader(path: path, end: end)
            while let line = try reader.previous() {
                guard try visit(name.text, try AuditLineSchema.envelope(of: line.bytes)) else { return }
            }
        }
    }
}
