public import Core
public import Invoicing
import Logging
import PostgresNIO
public import Rating

/// Drafts, finalization and void: the invoice writes of `PostgresInvoiceStore`.
extension PostgresInvoiceStore {
    /// The advisory lock key of a period's runs (per schema, so test schemas never collide).
    func runLockKey(_ period: BillingPeriod) -> String { "\(schema.name).invoice-run.\(period)" }

    public func saveDrafts(_ drafts: [Invoice], period: BillingPeriod, wait: Bool) async throws -> RunResult {
        let invoices = self.invoices
        let lockKey = runLockKey(period)
        let logger = database.logger
        return try await mapped("writing the drafts of \(period)") {
            try await database.withTransaction(component: Self.component) { connection in
                if wait {
                    try await connection.query(
                        "SELECT pg_advisory_xact_lock(hashtextextended(\(lockKey), 0))", logger: logger)
                } else {
                    let rows = try await connection.query(
                        "SELECT pg_try_advisory_xact_lock(hashtextextended(\(lockKey), 0))", logger: logger)
                    var got = false
                    for try await value in rows.decode(Bool.self) { got = value }
                    if !got { throw InvoiceError.locked(period: period.description) }
                }
                var existing: [String: (status: String, hash: String)] = [:]
                // Only the invoices being saved: a one-subject run (each finalization) reads one row.
                let ids = drafts.map(\.id)
                let rows = try await connection.query(
                    """
                    SELECT invoice_id, status, content_hash FROM \(unescaped: invoices)
                    WHERE invoice_id = ANY(\(ids)::text[])
                    """, logger: logger)
                for try await (id, status, hash) in rows.decode((String, String, String).self) {
                    existing[id] = (status, hash)
                }
                var result = RunResult()
                for draft in drafts {
                    var draft = draft
                    draft.status = .draft
                    let bytes = InvoiceJSON.encode(draft)
                    let hash = InvoiceJSON.contentHash(draft)
                    if let current = existing[draft.id] {
                        if current.status != InvoiceStatus.draft.rawValue {
                            result.record(draft.id, .closed)
                        } else if current.hash == hash {
                            result.record(draft.id, .unchanged)
                        } else {
                            try await replaceDraft(draft, content: bytes, hash: hash, on: connection)
                            result.record(draft.id, .updated)
                        }
                    } else {
                        try await insertDraft(draft, content: bytes, hash: hash, on: connection)
                        result.record(draft.id, .created)
                    }
                }
                return result
            }
        }
    }

    func insertDraft(_ draft: Invoice, content: [UInt8], hash: String, on connection: PostgresConnection)
        async throws
    {
        let text = String(decoding: content, as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO \(unescaped: invoices) (invoice_id, subject, period_start, period_end, currency, status,
                total, total_exact, content, content_hash)
            VALUES (\(draft.id), \(draft.subject), \(Self.text(draft.periodStart))::timestamptz,
                \(Self.text(draft.periodEnd))::timestamptz, \(draft.currency.code), 'draft',
                \(draft.total.description)::numeric, \(draft.totalExact.description)::numeric, \(text), \(hash))
            """, logger: database.logger)
        try await insertLines(draft, on: connection)
    }

    func replaceDraft(_ draft: Invoice, content: [UInt8], hash: String, on connection: PostgresConnection)
        async throws
    {
        let text = String(decoding: content, as: UTF8.self)
        try await connection.query(
            "DELETE FROM \(unescaped: lines) WHERE invoice_id = \(draft.id)", logger: database.logger)
        try await connection.query(
            """
            UPDATE \(unescaped: invoices) SET total = \(draft.total.description)::numeric,
                total_exact = \(draft.totalExact.description)::numeric, content = \(text), content_hash = \(hash),
                updated_at = now()
            WHERE invoice_id = \(draft.id) AND status = 'draft'
            """, logger: database.logger)
        try await insertLines(draft, on: connection)
    }

    func insertLines(_ invoice: Invoice, on connection: PostgresConnection) async throws {
        guard !invoice.lines.isEmpty else { return }
        let positions = invoice.lines.indices.map { Int32($0) }
        let ids = invoice.lines.map { _ in invoice.id }
        let kinds = invoice.lines.map(\.kind.rawValue)
        let metrics = invoice.lines.map(\.metric)
        let descriptions = invoice.lines.map(\.description)
        let quantities = invoice.lines.map { $0.quantity.isEmpty ? "NaN" : $0.quantity }
        let units = invoice.lines.map(\.unit)
        let amounts = invoice.lines.map(\.amount.description)
        let rounded = invoice.lines.map(\.amountRounded.description)
        let refers = invoice.lines.map { $0.refersTo ?? "" }
        try await connection.query(
            """
            INSERT INTO \(unescaped: lines) (invoice_id, position, kind, metric, description, quantity, unit, amount,
                amount_rounded, refers_to)
            SELECT i, p, k, m, d, NULLIF(q, 'NaN')::numeric, u, a::numeric, r::numeric, NULLIF(f, '')
            FROM unnest(\(ids)::text[], \(positions)::int[], \(kinds)::text[], \(metrics)::text[],
                \(descriptions)::text[], \(quantities)::text[], \(units)::text[], \(amounts)::text[],
                \(rounded)::text[], \(refers)::text[]) AS t(i, p, k, m, d, q, u, a, r, f)
            """, logger: database.logger)
    }

    public func invoice(id: String) async throws -> Invoice? {
        let table = invoices
        let logger = database.logger
        return try await mapped("reading invoice \(id)") {
            try await database.withConnection(component: Self.component) { connection in
                let rows = try await connection.query(
                    "SELECT content FROM \(unescaped: table) WHERE invoice_id = \(id)", logger: logger)
                var out: Invoice?
                for try await content in rows.decode(String.self) {
                    out = try InvoiceJSON.decode(Array(content.utf8))
                }
                return out
            }
        }
    }

    public func invoices(_ filter: InvoiceFilter) async throws -> [Invoice] {
        let table = invoices
        let logger = database.logger
        let start = filter.period.map { Self.text($0.start) }
        let limit = filter.limit.map(Int64.init) ?? Int64.max
        return try await mapped("listing invoices") {
            try await database.withConnection(component: Self.component) { connection in
                let rows = try await connection.query(
                    """
                    SELECT content FROM \(unescaped: table)
                    WHERE (\(start)::timestamptz IS NULL OR period_start = \(start)::timestamptz)
                        AND (\(filter.subject)::text IS NULL OR subject = \(filter.subject))
                        AND (\(filter.status?.rawValue)::text IS NULL OR status = \(filter.status?.rawValue))
                        AND (\(filter.after)::text IS NULL OR (period_start, subject, currency, invoice_id) >
                            (SELECT period_start, subject, currency, invoice_id FROM \(unescaped: table)
                             WHERE invoice_id = \(filter.after)))
                    ORDER BY period_start, subject, currency, invoice_id
                    LIMIT \(limit)
                    """, logger: logger)
                var out: [Invoice] = []
                for try await content in rows.decode(String.self) {
                    out.append(try InvoiceJSON.decode(Array(content.utf8)))
                }
                return out
            }
        }
    }

    public func finalize(
        id: String, prefix: String, at: Timestamp, completeness: Completeness, forcedReason: String?,
        usageAudit: AuditPosition?
    ) async throws -> Invoice {
        let table = invoices
        let events = auditEvents
        let counters = self.counters
        let logger = database.logger
        return try await mapped("finalizing invoice \(id)") {
            try await database.withTransaction(component: Self.component) { connection in
                // The row lock orders concurrent finalizations of the same invoice.
                let rows = try await connection.query(
                    "SELECT content FROM \(unescaped: table) WHERE invoice_id = \(id) FOR UPDATE", logger: logger)
                var stored: Invoice?
                for try await content in rows.decode(String.self) {
                    stored = try InvoiceJSON.decode(Array(content.utf8))
                }
                guard var invoice = stored else { throw InvoiceError.unknownInvoice(id) }
                guard invoice.status == .draft else {
                    throw InvoiceError.notFinalizable(id: id, status: invoice.status)
                }
                // The counter row is locked until this transaction ends: numbers are
                // handed out one transaction at a time, and a rollback returns its number.
                let counterRows = try await connection.query(
                    """
                    INSERT INTO \(unescaped: counters) AS c (prefix, last_value) VALUES (\(prefix), 1)
                    ON CONFLICT (prefix) DO UPDATE SET last_value = c.last_value + 1, updated_at = now()
                    RETURNING last_value
                    """, logger: logger)
                var value: Int64 = 0
                for try await next in counterRows.decode(Int64.self) { value = next }
                let digits = String(value)
                let number = prefix + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
                invoice.status = .finalized
                invoice.number = number
                invoice.finalizedAt = at
                invoice.completeness = completeness
                invoice.forcedReason = forcedReason
                invoice.audit = usageAudit
                let content = String(decoding: InvoiceJSON.encode(invoice), as: UTF8.self)
                try await connection.query(
                    """
                    UPDATE \(unescaped: table) SET status = 'finalized', number = \(number),
                        number_prefix = \(prefix), number_value = \(value),
                        finalized_at_ns = \(at.nanosecondsSinceEpoch), forced_reason = \(forcedReason),
                        content = \(content), content_hash = \(InvoiceJSON.contentHash(invoice)), updated_at = now()
                    WHERE invoice_id = \(id)
                    """, logger: logger)
                try await connection.query(
                    """
                    INSERT INTO \(unescaped: events) (invoice_id, event, at_ns)
                    VALUES (\(id), 'finalized', \(at.nanosecondsSinceEpoch))
                    """, logger: logger)
                return invoice
            }
        }
    }

    public func void(id: String, reason: String, at: Timestamp) async throws -> Invoice {
        let table = invoices
        let events = auditEvents
        let logger = database.logger
        return try await mapped("voiding invoice \(id)") {
            try await database.withTransaction(component: Self.component) { connection in
                let rows = try await connection.query(
                    "SELECT content FROM \(unescaped: table) WHERE invoice_id = \(id) FOR UPDATE", logger: logger)
                var stored: Invoice?
                for try await content in rows.decode(String.self) {
                    stored = try InvoiceJSON.decode(Array(content.utf8))
                }
                guard var invoice = stored else { throw InvoiceError.unknownInvoice(id) }
                guard invoice.status == .finalized else {
                    throw InvoiceError.notVoidable(id: id, status: invoice.status)
                }
                invoice.status = .void
                invoice.voidedAt = at
                invoice.voidReason = reason
                let content = String(decoding: InvoiceJSON.encode(invoice), as: UTF8.self)
                try await connection.query(
                    """
                    UPDATE \(unescaped: table) SET status = 'void', voided_at_ns = \(at.nanosecondsSinceEpoch),
                        void_reason = \(reason), content = \(content),
                        content_hash = \(InvoiceJSON.contentHash(invoice)), updated_at = now()
                    WHERE invoice_id = \(id)
                    """, logger: logger)
                try await connection.query(
                    """
                    INSERT INTO \(unescaped: events) (invoice_id, event, at_ns)
                    VALUES (\(id), 'void', \(at.nanosecondsSinceEpoch))
                    """, logger: logger)
                return invoice
            }
        }
    }

    public func unauditedEvents() async throws -> [PendingAuditEvent] {
        let table = auditEvents
        let logger = database.logger
        return try await mapped("reading invoice events not yet in the audit trail") {
            try await database.withConnection(component: Self.component) { connection in
                let rows = try await connection.query(
                    """
                    SELECT invoice_id, event FROM \(unescaped: table) WHERE audit_seq IS NULL
                    ORDER BY at_ns, invoice_id, event
                    """, logger: logger)
                var out: [PendingAuditEvent] = []
                for try await (id, event) in rows.decode((String, String).self) {
                    guard let kind = InvoiceAuditEntry.Event(rawValue: event) else { continue }
                    out.append(PendingAuditEvent(invoiceID: id, event: kind))
                }
                return out
            }
        }
    }

    public func lastRecordedAuditSeq() async throws -> Int64? {
        let table = auditEvents
        let logger = database.logger
        return try await mapped("reading the last recorded audit position") {
            try await database.withConnection(component: Self.component) { connection in
                let rows = try await connection.query(
                    "SELECT max(audit_seq) FROM \(unescaped: table)", logger: logger)
                var out: Int64?
                for try await value in rows.decode(Int64?.self) { out = value }
                return out
            }
        }
    }

    public func recordAudit(_ event: PendingAuditEvent, at position: AuditPosition) async throws {
        let table = auditEvents
        let logger = database.logger
        try await mapped("recording the audit position of \(event.invoiceID)") {
            try await database.withConnection(component: Self.component) { connection in
                try await connection.query(
                    """
                    UPDATE \(unescaped: table) SET audit_file = \(position.file), audit_seq = \(position.seq),
                        audit_hash = \(position.hash), recorded_at = now()
                    WHERE invoice_id = \(event.invoiceID) AND event = \(event.event.rawValue)
                    """, logger: logger)
            }
        }
    }
}
