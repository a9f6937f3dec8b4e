import Core
import Rating

/// The invoice document people read and print: one self-contained HTML page.
///
/// Exists because finance sends and files a document, not JSON: no external
/// fonts, images or scripts; print CSS for A4 and Letter (the page box is the
/// narrower of the two, so one layout fits both); a DRAFT or VOID mark across
/// the page when it is not a finalized invoice; every line with its tiers;
/// money formatted for the currency from exact decimals, never through a float.
public enum InvoiceHTML {
    public static func render(_ invoice: Invoice) -> String {
        let digits = invoice.currency.minorUnits
        let code = invoice.currency.code
        func money(_ amount: Money) -> String { grouped(amount.formatted(fractionDigits: digits)) + " " + code }
        var rows = ""
        for line in invoice.lines {
            let quantity =
                line.quantity.isEmpty ? "" : grouped(line.quantity) + (line.unit.isEmpty ? "" : " " + line.unit)
            rows += """
                <tr class="line \(line.kind.rawValue)"><td>\(escape(line.kind.rawValue))</td>\
                <td>\(escape(line.description))\
                \(line.refersTo.map { "<div class=\"refers\">refers to \(escape($0))</div>" } ?? "")</td>\
                <td class="num">\(escape(quantity))</td>\
                <td class="num">\(escape(line.billedUnits.map { $0.description } ?? ""))</td>\
                <td class="num">\(escape(money(line.amountRounded)))</td></tr>\n
                """
            for tier in line.tiers where line.kind == .usage {
                rows += """
                    <tr class="tier"><td></td><td>tier \(tier.index + 1) (\(escape(tier.version))): \
                    \(escape(tier.units.description)) × \(escape(tier.unitPrice.description))\
                    \(tier.flatFee == .zero ? "" : " + " + escape(tier.flatFee.description))</td><td></td><td></td>\
                    <td class="num">\(escape(tier.amount.description))</td></tr>\n
                    """
            }
        }
        let mark: String
        switch invoice.status {
        case .draft: mark = "<div class=\"mark\">DRAFT</div>"
        case .void: mark = "<div class=\"mark\">VOID</div>"
        case .finalized: mark = ""
        }
        let customer = invoice.customer
        let address = (customer?.address ?? []).map { "<div>\(escape($0))</div>" }.joined()
        let voidNote =
            invoice.status == .void
            ? "<p class=\"void\">Voided \(escape(invoice.voidedAt?.rfc3339(fractionalDigits: .none) ?? "")): "
                + "\(escape(invoice.voidReason ?? ""))</p>" : ""
        let forcedNote =
            invoice.forcedReason.map { "<p class=\"forced\">Finalized before the period closed: \(escape($0))</p>" }
            ?? ""
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>Invoice \(escape(invoice.number ?? invoice.id))</title>
            <style>
            @page { size: 210mm 279mm; margin: 15mm; }
            * { box-sizing: border-box; }
            html, body { margin: 0; padding: 0; }
            body { font-family: sans-serif; font-size: 10pt; color: #111; max-width: 180mm; margin: 0 auto; \
            position: relative; }
            h1 { font-size: 18pt; margin: 0 0 4mm 0; }
            table { width: 100%; border-collapse: collapse; table-layout: fixed; }
            th, td { text-align: left; padding: 1.5mm 1mm; vertical-align: top; overflow-wrap: anywhere; \
            word-break: break-word; }
            th { border-bottom: 0.4mm solid #111; }
            col.kind { width: 18mm; } col.qty { width: 38mm; } col.billed { width: 28mm; } col.amount { width: 30mm; }
            tr.line td { border-top: 0.2mm solid #bbb; }
            tr.tier td { color: #555; font-size: 8.5pt; padding-top: 0; }
            .num { text-align: right; }
            .meta { display: flex; justify-content: space-between; gap: 8mm; margin-bottom: 6mm; }
            .meta div { overflow-wrap: anywhere; }
            .totals { margin-top: 4mm; margin-left: auto; width: 80mm; }
            .totals td { border: none; }
            .totals tr.total td { font-weight: bold; border-top: 0.4mm solid #111; }
            .refers { color: #555; font-size: 8.5pt; }
            .mark { position: absolute; top: 60mm; left: 0; right: 0; text-align: center; font-size: 72pt; \
            color: rgba(200, 0, 0, 0.18); transform: rotate(-20deg); pointer-events: none; }
            </style></head>
            <body>
            \(mark)
            <h1>Invoice \(escape(invoice.number ?? "(draft)"))</h1>
            <div class="meta">
            <div><strong>\(escape(customer?.name ?? invoice.subject))</strong>\(address)\
            \(customer?.email.map { "<div>\(escape($0))</div>" } ?? "")\
            \(customer?.costCenter.map { "<div>Cost center \(escape($0))</div>" } ?? "")\
            <div>Subject \(escape(invoice.subject))</div></div>
            <div><div>Status: <span class="status">\(invoice.status.rawValue)</span></div>\
            <div>Period: \(escape(invoice.periodStart.rfc3339(fractionalDigits: .none))) – \
            \(escape(invoice.periodEnd.rfc3339(fractionalDigits: .none)))</div>\
            <div>Issued: \(escape(invoice.finalizedAt?.rfc3339(fractionalDigits: .none) ?? "not yet"))</div>\
            <div>Invoice id: \(escape(invoice.id))</div>\
            \(invoice.replaces.map { "<div class=\"replaces\">Replaces invoice \(escape($0)) (void)</div>" } ?? "")</div>
            </div>
            \(voidNote)\(forcedNote)
            <table class="lines"><colgroup><col class="kind"><col><col class="qty"><col class="billed">\
            <col class="amount"></colgroup>
            <thead><tr><th>Kind</th><th>Description</th><th class="num">Quantity</th><th class="num">Billed</th>\
            <th class="num">Amount</th></tr></thead>
            <tbody>
            \(rows)</tbody></table>
            <table class="totals">
            <tr><td>Subtotal</td><td class="num" id="subtotal">\(escape(money(invoice.subtotal)))</td></tr>
            <tr><td>Discounts</td><td class="num" id="discounts">\(escape(money(invoice.discountTotal)))</td></tr>
            <tr class="total"><td>Total</td><td class="num" id="total">\(escape(money(invoice.total)))</td></tr>
            </table>
            </body></html>

            """
    }

    /// Thousands separated by commas in the integer part (`1,234,567.89`).
    static func grouped(_ text: String) -> String {
        var sign = ""
        var rest = Substring(text)
        if rest.hasPrefix("-") {
            sign = "-"
            rest = rest.dropFirst()
        }
        let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integer = Array(parts.first ?? "")
        var out = ""
        for (i, c) in integer.enumerated() {
            if i > 0, (integer.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        if parts.count > 1 { out += "." + parts[1] }
        return sign + out
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
