internal import Core

/// The fixed member lists of each line kind, and the typed reading of a parsed
/// line. Shared by the verifier, the reader and the tail cut on open.
enum AuditLineSchema {
    static let usageKeys = [
        "seq", "kind", "prev_hash", "pipeline", "batch", "fact_id", "source", "subject", "metric", "unit",
        "dimensions", "minute", "from", "to", "quantity", "flags", "amount", "currency", "price_book", "hash",
    ]
    static let cutKeys = [
        "seq", "kind", "prev_hash", "pipeline", "committed_batch", "removed_lines", "first_removed_seq",
        "last_removed_seq", "first_removed_batch", "last_removed_batch", "torn_bytes", "removed_files", "reason",
        "at", "hash",
    ]
    static let openKeys = ["seq", "kind", "prev_hash", "file", "previous_file", "created_at", "hash"]
    static let invoiceKeys = [
        "seq", "kind", "prev_hash", "event", "invoice_id", "number", "subject", "period", "currency", "total",
        "total_exact", "content_hash", "usage_audit_file", "usage_audit_seq", "usage_audit_hash", "reason", "at",
        "hash",
    ]

    /// The members every line has, whatever its kind.
    struct Envelope {
        var seq: UInt64
        var kind: String
        var prevHash: String
        var hash: String
        var members: [AuditJSONMember]
    }

    typealias Failure = AuditVerificationError.Problem

    /// Parses a line's bytes and reads its envelope (no hash check).
    static func envelope(of line: [UInt8]) throws(Failure) -> Envelope {
        let json: AuditJSON
        do {
            json = try AuditJSONParser.parse(line)
        } catch {
            throw .malformedJSON(error.description)
        }
        guard case .object(let members) = json else { throw .malformedJSON("a line must be a JSON object") }
        guard let seq = json["seq"]?.unsignedValue else { throw .malformedField("seq must be an unsigned integer") }
        guard let kind = json["kind"]?.stringValue else { throw .malformedField("kind must be a string") }
        guard let prev = json["prev_hash"]?.stringValue, isHashHex(prev) else {
            throw .malformedField("prev_hash must be 64 lowercase hex digits")
        }
        guard let hash = json["hash"]?.stringValue, isHashHex(hash) else {
            throw .malformedField("hash must be 64 lowercase hex digits")
        }
        return Envelope(seq: seq, kind: kind, prevHash: prev, hash: hash, members: members)
    }

    static func isHashHex(_ text: String) -> Bool {
        text.utf8.count == 64
            && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// Checks the member list of a known kind (exact names, exact order).
    static func checkMembers(_ envelope: Envelope) throws(Failure) {
        let expected: [String]
        switch envelope.kind {
        case "usage": expected = usageKeys
        case "cut": expected = cutKeys
        case "open": expected = openKeys
        case "invoice": expected = invoiceKeys
        default: throw .unknownKind(envelope.kind)
        }
        let found = envelope.members.map(\.key)
        guard found == expected else {
            throw .malformedField(
                "\(envelope.kind) line members must be \(expected.joined(separator: ",")); found \(found.joined(separator: ","))"
            )
        }
    }

    static func string(_ json: AuditJSON, _ key: String) throws(Failure) -> String {
        guard let value = json[key]?.stringValue else { throw .malformedField("\(key) must be a string") }
        return value
    }

    static func unsigned(_ json: AuditJSON, _ key: String) throws(Failure) -> UInt64 {
        guard let value = json[key]?.unsignedValue else { throw .malformedField("\(key) must be an unsigned integer") }
        return value
    }

    static func timestamp(_ json: AuditJSON, _ key: String) throws(Failure) -> Timestamp {
        let text = try string(json, key)
        guard let time = Timestamp(rfc3339: text), time.rfc3339(fractionalDigits: .automatic) == text else {
            throw .malformedField("\(key) must be an RFC 3339 UTC time in canonical form, found \"\(text)\"")
        }
        return time
    }

    /// Reads a `usage` line (members already checked) into a record.
    static func usage(_ envelope: Envelope) throws(Failure) -> AuditUsageRecord {
        let json = AuditJSON.object(envelope.members)
        let idText = try string(json, "fact_id")
        guard let id = Digest128(hex: idText), id.uuidString == idText else {
            throw .malformedField("fact_id must be a lowercase UUID, found \"\(idText)\"")
        }
        guard case .object(let dimensionMembers)? = json["dimensions"] else {
            throw .malformedField("dimensions must be an object")
        }
        var dimensions: [Dimension] = []
        for member in dimensionMembers {
            guard let value = member.value.stringValue else {
                throw .malformedField("dimensions.\(member.key) must be a string")
            }
            if let last = dimensions.last, !last.key.utf8.lexicographicallyPrecedes(member.key.utf8) {
                throw .malformedField("dimensions keys must be sorted")
            }
            dimensions.append(Dimension(member.key, value))
        }
        let minute = try timestamp(json, "minute")
        guard minute == minute.minuteStart else { throw .malformedField("minute must be the start of a minute") }
        let quantityText = try string(json, "quantity")
        guard let quantity = UInt64(quantityText), String(quantity) == quantityText else {
            throw .malformedField("quantity must be an unsigned integer string, found \"\(quantityText)\"")
        }
        guard case .array(let flagItems)? = json["flags"] else { throw .malformedField("flags must be an array") }
        let flagNames = flagItems.compactMap(\.stringValue)
        guard flagNames.count == flagItems.count, let flags = FactFlags(names: flagNames), flags.names == flagNames
        else { throw .malformedField("flags must be known names (reset, gap, initial) in that order") }
        let amountText = try string(json, "amount")
        guard let amount = Money(decimal: amountText), amount.description == amountText else {
            throw .malformedField("amount must be a canonical decimal string, found \"\(amountText)\"")
        }
        let series = SeriesKey(
            source: try string(json, "source"), subject: try string(json, "subject"),
            metric: try string(json, "metric"), sortedDimensions: dimensions)
        let fact = UsageFact(
            id: id, series: series, from: try timestamp(json, "from"), to: try timestamp(json, "to"), minute: minute,
            quantity: quantity, flags: flags, amount: amount, currency: try string(json, "currency"),
            priceBook: try string(json, "price_book"))
        return AuditUsageRecord(
            seq: envelope.seq, pipeline: try string(json, "pipeline"), batch: try unsigned(json, "batch"), fact: fact,
            unit: try string(json, "unit"))
    }

    /// Checks the typed members of a `cut` line.
    static func checkCut(_ envelope: Envelope) throws(Failure) {
        let json = AuditJSON.object(envelope.members)
        _ = try string(json, "pipeline")
        for key in ["committed_batch", "removed_lines", "torn_bytes"] { _ = try unsigned(json, key) }
        for key in ["first_removed_seq", "last_removed_seq", "first_removed_batch", "last_removed_batch"] {
            guard let value = json[key], value == .null || value.unsignedValue != nil else {
                throw .malformedField("\(key) must be an unsigned integer or null")
            }
        }
        guard case .array(let files)? = json["removed_files"], files.allSatisfy({ $0.stringValue != nil }) else {
            throw .malformedField("removed_files must be an array of strings")
        }
        _ = try string(json, "reason")
        _ = try timestamp(json, "at")
    }

    /// Reads an `invoice` line (members already checked) into its entry.
    static func invoice(_ envelope: Envelope) throws(Failure) -> InvoiceAuditEntry {
        let json = AuditJSON.object(envelope.members)
        let eventText = try string(json, "event")
        guard let event = InvoiceAuditEntry.Event(rawValue: eventText) else {
            throw .malformedField("event must be finalized or void, found \"\(eventText)\"")
        }
        func money(_ key: String) throws(Failure) -> Money {
            let text = try string(json, key)
            guard let value = Money(decimal: text), value.description == text else {
                throw .malformedField("\(key) must be a canonical decimal string, found \"\(text)\"")
            }
            return value
        }
        func optionalString(_ key: String) throws(Failure) -> String? {
            switch json[key] {
            case .null?: return nil
            case .string(let text)?: return text
            default: throw .malformedField("\(key) must be a string or null")
            }
        }
        let contentHash = try string(json, "content_hash")
        guard isHashHex(contentHash) else { throw .malformedField("content_hash must be 64 lowercase hex digits") }
        let file = try optionalString("usage_audit_file")
        let hash = try optionalString("usage_audit_hash")
        var usage: AuditPosition?
        switch (file, json["usage_audit_seq"], hash) {
        case (nil, .null?, nil): usage = nil
        case (let file?, let seq?, let hash?):
            guard let value = seq.unsignedValue, isHashHex(hash) else {
                throw .malformedField("usage_audit_seq must be an unsigned integer and usage_audit_hash 64 hex digits")
            }
            usage = AuditPosition(file: file, seq: Int64(value), hash: hash)
        default:
            throw .malformedField("usage_audit_file, usage_audit_seq and usage_audit_hash are all null or all set")
        }
        return InvoiceAuditEntry(
            event: event, invoiceID: try string(json, "invoice_id"), number: try string(json, "number"),
            subject: try string(json, "subject"), period: try string(json, "period"),
            currency: try string(json, "currency"), total: try money("total"), totalExact: try money("total_exact"),
            contentHash: contentHash, usageAudit: usage, reason: try optionalString("reason"),
            at: try timestamp(json, "at"))
    }

    /// Reads an `open` line: its own file name and the previous file's (`nil` for the first).
    static func open(_ envelope: Envelope) throws(Failure) -> (file: String, previousFile: String?) {
        let json = AuditJSON.object(envelope.members)
        let file = try string(json, "file")
        let previous: String?
        switch json["previous_file"] {
        case .null?: previous = nil
        case .string(let name)?: previous = name
        default: throw .malformedField("previous_file must be a string or null")
        }
        _ = try timestamp(json, "created_at")
        return (file, previous)
    }
}
