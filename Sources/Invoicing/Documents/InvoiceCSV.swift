import Core
import Rating

/// Invoices as CSV for finance imports: one row per line, the invoice's fields
/// repeated on each row (RFC 4180 quoting), money as exact decimal text.
public enum InvoiceCSV {
    public static let header = [
        "invoice_id", "number", "status", "subject", "customer", "period_start", "period_end", "currency", "position",
        "kind", "metric", "description", "quantity", "unit", "billed_units", "amount", "amount_rounded", "refers_to",
        "invoice_total",
    ]

    public static func render(_ invoices: [Invoice]) -> String {
        var out = header.joined(separator: ",") + "\n"
        for invoice in invoices {
            let digits = invoice.currency.minorUnits
            for (position, line) in invoice.lines.enumerated() {
                let cells = [
                    invoice.id, invoice.number ?? "", invoice.status.rawValue, invoice.subject,
                    invoice.customer?.name ?? invoice.subject, invoice.periodStart.rfc3339(fractionalDigits: .none),
                    invoice.periodEnd.rfc3339(fractionalDigits: .none), invoice.currency.code, String(position),
                    line.kind.rawValue, line.metric, line.description, line.quantity, line.unit,
                    line.billedUnits?.description ?? "", line.amount.description,
                    line.amountRounded.formatted(fractionDigits: digits), line.refersTo ?? "",
                    invoice.total.formatted(fractionDigits: digits),
                ]
                out += cells.map(field).joined(separator: ",") + "\n"
            }
        }
        return out
    }

    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacing("\"", with: "\"\"") + "\""
    }
}

/// Invoices as aligned columns for a terminal (`invoice list`).
public enum InvoiceTable {
    public static func render(_ invoices: [Invoice]) -> String {
        guard !invoices.isEmpty else { return "no invoices\n" }
        let header = ["ID", "NUMBER", "STATUS", "SUBJECT", "PERIOD", "CURRENCY", "TOTAL"]
        let rows = invoices.map {
            [
                $0.id, $0.number ?? "-", $0.status.rawValue, $0.subject, $0.periodLabel, $0.currency.code,
                $0.total.formatted(fractionDigits: $0.currency.minorUnits),
            ]
        }
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func format(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, cell) in cells.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                parts.append(i == cells.count - 1 ? pad + cell : cell + pad)
            }
            return parts.joined(separator: "  ")
        }
        return ([format(header)] + rows.map(format)).joined(separator: "\n") + "\n"
    }
}
