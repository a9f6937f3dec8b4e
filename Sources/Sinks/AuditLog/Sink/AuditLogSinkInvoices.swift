public import Core

/// The `jsonl_audit` sink as an invoicing audit trail (`invoicing.audit_sink`)
/// and as the usage trail an invoice records its position in.
///
/// Invoice lines go through the sink's own file handling (rotation, fsync,
/// rollback of a failed write, the chained `cut` of a torn tail). `withLock`
/// takes the sink's in-process `AsyncLock`, then an exclusive `flock` on the
/// directory; each append re-reads the chain's end from the files, since
/// another process may have appended since.
extension AuditLogSink: InvoiceAuditLog {
    /// The pipeline name an invoicing trail's `cut` lines carry.
    static let invoicingPipeline = "invoicing"

    public nonisolated var auditTrailID: String { id }

    public nonisolated var auditTrailPath: String { options.directory }

    public nonisolated func lastPosition() throws -> AuditPosition? {
        do {
            return try AuditTrailTail.lastPosition(directory: options.directory)
        } catch {
            throw PluginError(.retryable, component: "sinks.\(id)", "reading the end of the audit trail: \(error)")
        }
    }

    public func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        let directory = options.directory
        let component = "sinks.\(id)"
        return try await invoiceLock.withLock {
            let lock: AuditDirectoryLock
            do {
                try AuditDirectory.create(directory)
                // Blocks this thread only while another process appends (a few lines, one fsync).
                lock = try AuditDirectoryLock(directory: directory)
            } catch {
                throw PluginError(.retryable, component: component, "\(error)")
            }
            defer { lock.release() }
            return try await body()
        }
    }

    public func append(_ entries: [InvoiceAuditEntry]) async throws -> [AuditPosition] {
        guard !entries.isEmpty else { return [] }
        try reopenForInvoices()
        return try appendInvoiceLines(entries)
    }

    public func entries(after seq: Int64?) async throws -> [(entry: InvoiceAuditEntry, position: AuditPosition)] {
        do {
            if let seq { return try AuditTrailTail.invoiceEntries(directory: options.directory, after: seq) }
            guard AuditDirectory.exists(options.directory),
                try !AuditFileName.files(in: options.directory).isEmpty
            else { return [] }
            var scanner = try AuditChainScanner(path: options.directory)
            var out: [(entry: InvoiceAuditEntry, position: AuditPosition)] = []
            while let line = try scanner.next() {
                guard let entry = line.invoice else { continue }
                let file = scanner.currentFileName
                out.append(
                    (entry, AuditPosition(file: file, seq: Int64(line.envelope.seq), hash: line.envelope.hash)))
            }
            return out
        } catch {
            throw PluginError(.permanent, component: "sinks.\(id)", "reading the invoicing audit trail: \(error)")
        }
    }
}
