public import Core
import Foundation
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
        // Encoded before the transaction, on every core; a draft written to a
        // replacement (another id) is encoded again below.
        let prepared = await Self.encodeConcurrently(drafts)
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
                // Only the invoices being saved, and the replacements of voided
                // ones: a one-subject run (each finalization) reads one row.
                let ids = drafts.map(\.id)
                let rows = try await connection.query(
                    """
                    SELECT i.invoice_id, i.root_id, i.status, i.content_hash, r.number
                    FROM \(unescaped: invoices) i LEFT JOIN \(unescaped: invoices) r ON r.invoice_id = i.replaces_id
                    WHERE i.invoice_id = ANY(\(ids)::text[]) OR i.root_id = ANY(\(ids)::text[])
                    """, logger: logger)
                var chains: [String: [StoredDraftRow]] = [:]
                for try await (id, root, status, hash, replaced) in rows.decode(
                    (String, String?, String, String, String?).self)
                {
                    chains[root ?? id, default: []].append(
                        StoredDraftRow(id: id, status: status, hash: hash, replaces: replaced))
                }
                var result = RunResult()
                var inserts: [EncodedDraft] = []
                var replacements: [EncodedDraft] = []
                for var encoded in prepared {
                    let chain = chains[encoded.invoice.id] ?? []
                    // The subject's current invoice: the one not void (a replacement, when the first was voided).
                    let current = chain.first { $0.status != InvoiceStatus.void.rawValue }
                    if let current, current.id != encoded.invoice.id || current.replaces != encoded.invoice.replaces {
                        var draft = encoded.invoice
                        draft.id = current.id
                        draft.replaces = current.replaces
                        encoded = EncodedDraft(draft)
                    }
                    let draft = encoded.invoice
                    if let current {
                        if current.status != InvoiceStatus.draft.rawValue {
                            result.record(draft.id, .closed)
                        } else if current.hash == encoded.hash {
                            result.record(draft.id, .unchanged)
                        } else {
                            replacements.append(encoded)
                            result.record(draft.id, .updated)
                        }
                    } else if !chain.isEmpty {
                        // Voided and not replaced: nothing is billed for this period any more.
                        result.record(draft.id, .closed)
                    } else {
                        inserts.append(encoded)
                        result.record(draft.id, .created)
                    }
                }
                for chunk in Self.chunks(replacements) { try await replaceDrafts(chunk, on: connection) }
                for chunk in Self.chunks(inserts) { try await insertDrafts(chunk, on: connection) }
                return result
            }
        }
    }

    /// An invoice row a run may write a draft to.
    struct StoredDraftRow {
        var id: String
        var status: String
        var hash: String
        /// The number of the voided invoice this one replaces.
        var replaces: String?
    }

    /// A draft with its canonical content and that content's hash.
    struct EncodedDraft: Sendable {
        var invoice: Invoice
        var content: String
        var hash: String

        /// `invoice` as a draft, encoded.
        init(_ invoice: Invoice) {
            var draft = invoice
            draft.status = .draft
            draft.number = nil
            let bytes = InvoiceJSON.encode(draft)
            self.invoice = draft
            self.content = String(decoding: bytes, as: UTF8.self)
            self.hash = InvoiceJSON.contentHash(of: bytes)
        }
    }

    /// `EncodedDraft`s of `drafts`, in order, encoded in a few ranges at once.
    static func encodeConcurrently(_ drafts: [Invoice]) async -> [EncodedDraft] {
        let parts = min(ProcessInfo.processInfo.activeProcessorCount, drafts.count / 1_000)
        guard parts > 1 else { return drafts.map(EncodedDraft.init) }
        return await withTaskGroup(of: (Int, [EncodedDraft]).self) { group in
            for index in 0..<parts {
                let range = drafts[(index * drafts.count / parts)..<((index + 1) * drafts.count / parts)]
                group.addTask { (index, range.map(EncodedDraft.init)) }
            }
            var results = Array(repeating: [EncodedDraft](), count: parts)
            for await (index, encoded) in group { results[index] = encoded }
            return results.flatMap { $0 }
        }
    }

    /// Drafts per statement: one round trip for thousands of invoices, within the bind limit.
    static func chunks(_ drafts: [EncodedDraft], size: Int = 2_000) -> [ArraySlice<EncodedDraft>] {
        stride(from: 0, to: drafts.count, by: size).map { drafts[$0..<min($0 + size, drafts.count)] }
    }

    func insertDrafts(_ drafts: ArraySlice<EncodedDraft>, on connection: PostgresConnection) async throws {
        let ids = drafts.map(\.invoice.id)
        let subjects = drafts.map(\.invoice.subject)
        let starts = drafts.map { Self.text($0.invoice.periodStart) }
        let ends = drafts.map { Self.text($0.invoice.periodEnd) }
        let currencies = drafts.map(\.invoice.currency.code)
        let totals = drafts.map(\.invoice.total.description)
        let exact = drafts.map(\.invoice.totalExact.description)
        let contents = drafts.map(\.content)
        let hashes = drafts.map(\.hash)
        try await connection.query(
            """
            INSERT INTO \(unescaped: invoices) (invoice_id, subject, period_start, period_end, currency, status,
                total, total_exact, content, content_hash)
            SELECT i, s, ps::timestamptz, pe::timestamptz, c, 'draft', t::numeric, e::numeric, b, h
            FROM unnest(\(ids)::text[], \(subjects)::text[], \(starts)::text[], \(ends)::text[], \(currencies)::text[],
                \(totals)::text[], \(exact)::text[], \(contents)::text[], \(hashes)::text[])
                AS d(i, s, ps, pe, c, t, e, b, h)
            """, logger: database.logger)
        try await insertLines(drafts.map(\.invoice), on: connection)
    }

    func replaceDrafts(_ drafts: ArraySlice<EncodedDraft>, on connection: PostgresConnection) async throws {
        let ids = drafts.map(\.invoice.id)
        try await connection.query(
            "DELETE FROM \(unescaped: lines) WHERE invoice_id = ANY(\(ids)::text[])", logger: database.logger)
        let totals = drafts.map(\.invoice.total.description)
        let exact = drafts.map(\.invoice.totalExact.description)
        let contents = drafts.map(\.content)
        let hashes = drafts.map(\.hash)
        try await connection.query(
            """
            UPDATE \(unescaped: invoices) AS v SET total = d.t::numeric, total_exact = d.e::numeric, content = d.b,
                content_hash = d.h, updated_at = now()
            FROM unnest(\(ids)::text[], \(totals)::text[], \(exact)::text[], \(contents)::text[], \(hashes)::text[])
                AS d(i, t, e, b, h)
            WHERE v.invoice_id = d.i AND v.status = 'draft'
            """, logger: database.logger)
        try await insertLines(drafts.map(\.invoice), on: connection)
    }

    func insertLines(_ invoices: [Invoice], on connection: PostgresConnection) async throws {
        let all = invoices.flatMap { invoice in invoice.lines.indices.map { (invoice.id, Int32($0), invoice.lines[$0]) }
        }
        guard !all.isEmpty else { return }
        let ids = all.map(\.0)
        let positions = all.map(\.1)
        let kinds = all.map(\.2.kind.rawValue)
        let metrics = all.map(\.2.metric)
        let descriptions = all.map(\.2.description)
        let quantities = all.map { $0.2.quantity.isEmpty ? "NaN" : $0.2.quantity }
        let units = all.map(\.2.unit)
        let amounts = all.map(\.2.amount.description)
        let rounded = all.map(\.2.amountRounded.description)
        let refers = all.map { $0.2.refersTo ?? "" }
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
                let encoded = InvoiceJSON.encode(invoice)
                let content = String(decoding: encoded, as: UTF8.self)
                try await connection.query(
                    """
                    UPDATE \(unescaped: table) SET status = 'finalized', number = \(number),
                        number_prefix = \(prefix), number_value = \(value),
                        finalized_at_ns = \(at.nanosecondsSinceEpoch), forced_reason = \(forcedReason),
                        content = \(content), content_hash = \(InvoiceJSON.contentHash(of: encoded)), updated_at = now()
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

    public func void(id: String, reason: String, at: Timestamp, replacement: Invoice?) async throws -> Invoice {
        let table = invoices
        let events = auditEvents
        let logger = database.logger
        return try await mapped("voiding invoice \(id)") {
            try await database.withTransaction(component: Self.component) { connection in
                if let replacement {
                    // The replacement is the period's draft from now on: no run may write it meanwhile.
                    let lockKey = runLockKey(BillingPeriod(containing: replacement.periodStart))
                    try await connection.query(
                        "SELECT pg_advisory_xact_lock(hashtextextended(\(lockKey), 0))", logger: logger)
                }
                let rows = try await connection.query(
                    "SELECT content, root_id FROM \(unescaped: table) WHERE invoice_id = \(id) FOR UPDATE",
                    logger: logger)
                var stored: Invoice?
                var root = id
                for try await (content, rootID) in rows.decode((String, String?).self) {
                    stored = try InvoiceJSON.decode(Array(content.utf8))
                    root = rootID ?? id
                }
                guard var invoice = stored else { throw InvoiceError.unknownInvoice(id) }
                guard invoice.status == .finalized else {
                    throw InvoiceError.notVoidable(id: id, status: invoice.status)
                }
                invoice.status = .void
                invoice.voidedAt = at
                invoice.voidReason = reason
                let encoded = InvoiceJSON.encode(invoice)
                let content = String(decoding: encoded, as: UTF8.self)
                try await connection.query(
                    """
                    UPDATE \(unescaped: table) SET status = 'void', voided_at_ns = \(at.nanosecondsSinceEpoch),
                        void_reason = \(reason), content = \(content),
                        content_hash = \(InvoiceJSON.contentHash(of: encoded)), updated_at = now()
                    WHERE invoice_id = \(id)
                    """, logger: logger)
                try await connection.query(
                    """
                    INSERT INTO \(unescaped: events) (invoice_id, event, at_ns)
                    VALUES (\(id), 'void', \(at.nanosecondsSinceEpoch))
                    """, logger: logger)
                if let replacement {
                    try await insertDrafts([EncodedDraft(replacement)][...], on: connection)
                    try await connection.query(
                        """
                        UPDATE \(unescaped: table) SET root_id = \(root), replaces_id = \(id)
                        WHERE invoice_id = \(replacement.id)
                        """, logger: logger)
                }
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
