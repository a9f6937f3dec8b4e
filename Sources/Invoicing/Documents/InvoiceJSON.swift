public import Core
import Crypto
import Foundation
import Rating

/// The JSON of an invoice (issue 14's shape): what the CLI prints, the API
/// answers, the store keeps as the invoice's content, and the content hash covers.
///
/// Exists as one codec so every reader sees the same fields: quantities are
/// integer strings, money decimal strings, instants RFC 3339 UTC, absent values
/// `null` (never omitted). Keys are sorted, so the bytes are canonical.
public enum InvoiceJSON {
    /// Canonical bytes of one invoice (sorted keys, no whitespace).
    public static func encode(_ invoice: Invoice) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(Document(invoice)))) ?? Array("{}".utf8)
    }

    /// Indented JSON for people (`invoice show --format json`).
    public static func pretty(_ invoices: [Invoice]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data = (try? encoder.encode(invoices.map(Document.init))) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// One invoice, indented.
    public static func pretty(_ invoice: Invoice) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Document(invoice))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The invoice `encode` wrote. Throws `InvoiceError.storage` naming what is wrong.
    public static func decode(_ bytes: [UInt8]) throws(InvoiceError) -> Invoice {
        do {
            return try JSONDecoder().decode(Document.self, from: Data(bytes)).invoice()
        } catch let error as InvoiceError {
            throw error
        } catch {
            throw .storage("stored invoice content is not valid invoice JSON: \(error)")
        }
    }

    /// SHA-256 hex of the canonical bytes: what the audit chain records.
    public static func contentHash(_ invoice: Invoice) -> String {
        contentHash(of: encode(invoice))
    }

    /// The content hash of bytes `encode` wrote (so a writer encodes once).
    public static func contentHash(of encoded: [UInt8]) -> String {
        ContentHash.sha256Hex(encoded)
    }

    struct Document: Codable {
        var id: String
        var number: String?
        var subject: String
        var customer: CustomerDocument?
        var period_start: String
        var period_end: String
        var status: String
        var currency: String
        var minor_units: Int
        var lines: [LineDocument]
        var subtotal: String
        var discount_total: String
        var total: String
        var total_exact: String
        var finalized_at: String?
        var voided_at: String?
        var void_reason: String?
        var forced_reason: String?
        var completeness: CompletenessDocument
        var audit: AuditDocument?
        var replaces: String?

        init(_ invoice: Invoice) {
            id = invoice.id
            number = invoice.number
            subject = invoice.subject
            customer = invoice.customer.map(CustomerDocument.init)
            period_start = invoice.periodStart.rfc3339(fractionalDigits: .none)
            period_end = invoice.periodEnd.rfc3339(fractionalDigits: .none)
            status = invoice.status.rawValue
            currency = invoice.currency.code
            minor_units = invoice.currency.minorUnits
            lines = invoice.lines.map(LineDocument.init)
            subtotal = invoice.subtotal.formatted(fractionDigits: invoice.currency.minorUnits)
            discount_total = invoice.discountTotal.formatted(fractionDigits: invoice.currency.minorUnits)
            total = invoice.total.formatted(fractionDigits: invoice.currency.minorUnits)
            total_exact = invoice.totalExact.description
            finalized_at = invoice.finalizedAt?.rfc3339(fractionalDigits: .automatic)
            voided_at = invoice.voidedAt?.rfc3339(fractionalDigits: .automatic)
            void_reason = invoice.voidReason
            forced_reason = invoice.forcedReason
            completeness = CompletenessDocument(
                complete: invoice.completeness.complete, problems: invoice.completeness.problems)
            audit = invoice.audit.map { AuditDocument(file: $0.file, seq: $0.seq, hash: $0.hash) }
            replaces = invoice.replaces
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(number, forKey: .number)
            try c.encode(subject, forKey: .subject)
            try c.encode(customer, forKey: .customer)
            try c.encode(period_start, forKey: .period_start)
            try c.encode(period_end, forKey: .period_end)
            try c.encode(status, forKey: .status)
            try c.encode(currency, forKey: .currency)
            try c.encode(minor_units, forKey: .minor_units)
            try c.encode(lines, forKey: .lines)
            try c.encode(subtotal, forKey: .subtotal)
            try c.encode(discount_total, forKey: .discount_total)
            try c.encode(total, forKey: .total)
            try c.encode(total_exact, forKey: .total_exact)
            try c.encode(finalized_at, forKey: .finalized_at)
            try c.encode(voided_at, forKey: .voided_at)
            try c.encode(void_reason, forKey: .void_reason)
            try c.encode(forced_reason, forKey: .forced_reason)
            try c.encode(completeness, forKey: .completeness)
            try c.encode(audit, forKey: .audit)
            try c.encode(replaces, forKey: .replaces)
        }

        func invoice() throws(InvoiceError) -> Invoice {
            func time(_ text: String, _ field: String) throws(InvoiceError) -> Timestamp {
                guard let t = Timestamp(rfc3339: text) else { throw .storage("invoice \(id): bad \(field) \(text)") }
                return t
            }
            guard let state = InvoiceStatus(rawValue: status) else {
                throw .storage("invoice \(id): unknown status \(status)")
            }
            var decodedLines: [InvoiceLine] = []
            for line in lines { decodedLines.append(try line.line(invoice: id)) }
            return Invoice(
                id: id, number: number, subject: subject, customer: customer?.customer(subject: subject),
                periodStart: try time(period_start, "period_start"), periodEnd: try time(period_end, "period_end"),
                status: state, currency: Currency(code: currency, minorUnits: minor_units), lines: decodedLines,
                finalizedAt: try finalized_at.map { (t: String) throws(InvoiceError) in try time(t, "finalized_at") },
                voidedAt: try voided_at.map { (t: String) throws(InvoiceError) in try time(t, "voided_at") },
                voidReason: void_reason, forcedReason: forced_reason,
                completeness: Completeness(complete: completeness.complete, problems: completeness.problems),
                audit: audit.map { AuditPosition(file: $0.file, seq: $0.seq, hash: $0.hash) }, replaces: replaces)
        }
    }

    struct CustomerDocument: Codable {
        var name: String
        var email: String?
        var address: [String]
        var cost_center: String?
        var plan: String?

        init(_ customer: Customer) {
            name = customer.name
            email = customer.email
            address = customer.address
            cost_center = customer.costCenter
            plan = customer.plan
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(email, forKey: .email)
            try c.encode(address, forKey: .address)
            try c.encode(cost_center, forKey: .cost_center)
            try c.encode(plan, forKey: .plan)
        }

        func customer(subject: String) -> Customer {
            Customer(subject: subject, name: name, email: email, address: address, costCenter: cost_center, plan: plan)
        }
    }

    struct LineDocument: Codable {
        var kind: String
        var metric: String
        var description: String
        var quantity: String
        var unit: String
        var billed_units: String?
        var tiers: [TierDocument]
        var amount: String
        var amount_rounded: String
        var refers_to: String?

        init(_ line: InvoiceLine) {
            kind = line.kind.rawValue
            metric = line.metric
            description = line.description
            quantity = line.quantity
            unit = line.unit
            billed_units = line.billedUnits?.description
            tiers = line.tiers.map(TierDocument.init)
            amount = line.amount.description
            amount_rounded = line.amountRounded.description
            refers_to = line.refersTo
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(kind, forKey: .kind)
            try c.encode(metric, forKey: .metric)
            try c.encode(description, forKey: .description)
            try c.encode(quantity, forKey: .quantity)
            try c.encode(unit, forKey: .unit)
            try c.encode(billed_units, forKey: .billed_units)
            try c.encode(tiers, forKey: .tiers)
            try c.encode(amount, forKey: .amount)
            try c.encode(amount_rounded, forKey: .amount_rounded)
            try c.encode(refers_to, forKey: .refers_to)
        }

        func line(invoice: String) throws(InvoiceError) -> InvoiceLine {
            guard let k = InvoiceLineKind(rawValue: kind), let a = Money(decimal: amount),
                let r = Money(decimal: amount_rounded)
            else { throw .storage("invoice \(invoice): bad line \(metric)") }
            var tierValues: [InvoiceTier] = []
            for tier in tiers { tierValues.append(try tier.tier(invoice: invoice)) }
            return InvoiceLine(
                kind: k, metric: metric, description: description, quantity: quantity, unit: unit,
                billedUnits: billed_units.flatMap { Money(decimal: $0) }, tiers: tierValues, amount: a,
                amountRounded: r, refersTo: refers_to)
        }
    }

    struct TierDocument: Codable {
        var version: String
        var index: Int
        var units: String
        var unit_price: String
        var flat_fee: String
        var amount: String

        init(_ tier: InvoiceTier) {
            version = tier.version
            index = tier.index
            units = tier.units.description
            unit_price = tier.unitPrice.description
            flat_fee = tier.flatFee.description
            amount = tier.amount.description
        }

        func tier(invoice: String) throws(InvoiceError) -> InvoiceTier {
            guard let u = Money(decimal: units), let p = Money(decimal: unit_price), let f = Money(decimal: flat_fee),
                let a = Money(decimal: amount)
            else { throw .storage("invoice \(invoice): bad tier \(index)") }
            return InvoiceTier(version: version, index: index, units: u, unitPrice: p, flatFee: f, amount: a)
        }
    }

    struct CompletenessDocument: Codable {
        var complete: Bool
        var problems: [String]
    }

    struct AuditDocument: Codable {
        var file: String
        var seq: Int64
        var hash: String
    }
}

/// SHA-256 as lowercase hex.
enum ContentHash {
    static func sha256Hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in SHA256.hash(data: bytes) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
