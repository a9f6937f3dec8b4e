import Core

/// Renders statements and quotes for the `rate` and `price` commands: an aligned
/// text table for people and JSON with decimal strings for machines.
///
/// JSON shapes (every number a string, so no consumer parses money as a float):
/// - statement: `[{"subject", "metric", "quantity", "amount", "amount_rounded", "currency"}, ...]`,
///   one object per line in statement order; `quantity` is base units (fees: active seconds).
/// - quote: `{"metric", "quantity", "amount", "amount_rounded", "currency"}`.
public enum ReportRenderer {
    public static func json(_ statement: PeriodStatement) -> String {
        if statement.lines.isEmpty { return "[]\n" }
        let objects = statement.lines.map { line in
            "  "
                + object([
                    ("subject", line.subject),
                    ("metric", line.dimension.map { line.metric + "[" + $0.key + "=" + $0.value + "]" } ?? line.metric),
                    ("quantity", quantityText(line)),
                    ("amount", line.amount.description),
                    ("amount_rounded", line.amountRounded.formatted(fractionDigits: statement.currency.minorUnits)),
                    ("currency", statement.currency.code),
                ])
        }
        return "[\n" + objects.joined(separator: ",\n") + "\n]\n"
    }

    public static func json(_ quote: PriceQuote) -> String {
        object([
            ("metric", quote.metric),
            ("quantity", String(quote.quantity)),
            ("amount", quote.amount.description),
            ("amount_rounded", quote.amountRounded.formatted(fractionDigits: quote.currency.minorUnits)),
            ("currency", quote.currency.code),
        ]) + "\n"
    }

    public static func table(_ statement: PeriodStatement) -> String {
        var out = "period \(statement.period) (\(statement.period.start) to \(statement.period.end)), "
        out += "currency \(statement.currency.code)\n"
        var rows: [[String]] = [["SUBJECT", "METRIC", "QUANTITY", "BILLED", "AMOUNT", "ROUNDED", "VERSIONS"]]
        var details: [Int: [String]] = [:]
        for line in statement.lines {
            let metric = line.dimension.map { line.metric + "[" + $0.key + "=" + $0.value + "]" } ?? line.metric
            let billed = line.parts.map { billedText($0) }.joined(separator: " + ")
            rows.append([
                line.subject, metric, quantityText(line), billed, line.amount.description,
                line.amountRounded.formatted(fractionDigits: statement.currency.minorUnits),
                line.versions.joined(separator: ", "),
            ])
            details[rows.count - 1] = line.parts.map(partText)
        }
        out += align(rows, details: details)
        for total in statement.subjectTotals {
            out += "total \(total.subject): \(total.amount) exact, "
            out += "\(total.amountRounded.formatted(fractionDigits: statement.currency.minorUnits)) "
            out += "\(statement.currency.code) invoiced (sum of rounded lines)\n"
        }
        for metric in statement.unpriced.keys.sorted() {
            if let usage = statement.unpriced[metric] {
                out += "unpriced \(metric): \(usage.facts) facts, \(usage.quantity) base units, rated 0\n"
            }
        }
        if statement.outsidePeriod > 0 { out += "outside the period: \(statement.outsidePeriod) facts\n" }
        return out
    }

    public static func table(_ quote: PriceQuote) -> String {
        guard let part = quote.part else {
            return "\(quote.metric): no price matches; \(quote.quantity) base units rated 0 \(quote.currency.code)\n"
        }
        var out = "\(quote.metric): \(quote.quantity) base units = \(billedText(part)), "
        out += "version \(part.version)\n"
        out += "  " + partText(part) + "\n"
        out += "amount \(quote.amount) exact, "
        out += "\(quote.amountRounded.formatted(fractionDigits: quote.currency.minorUnits)) \(quote.currency.code)\n"
        return out
    }

    static func quantityText(_ line: StatementLine) -> String {
        switch line.kind {
        case .usage: return String(line.quantity)
        case .recurringFee:
            return Money(scaled: Int128(clamping: line.quantity) * 1_000_000_000).description
        }
    }

    static func billedText(_ part: LinePart) -> String {
        if part.model == "recurring" { return "\(part.billedUnits) period" }
        return "\(part.billedUnits) \(part.unitName ?? "units")"
    }

    static func partText(_ part: LinePart) -> String {
        var pieces: [String] = ["\(part.model) (\(part.version), line \(part.ruleLine))"]
        let unit = part.unitName ?? "units"
        if part.allowanceUsed != .zero { pieces.append("allowance \(part.allowanceUsed) \(unit)") }
        for tier in part.tiers {
            var text: String
            switch part.model {
            case "package": text = "\(tier.units) packages × \(tier.unitPrice)"
            case "recurring": text = "\(tier.units) of the period × \(tier.unitPrice)"
            default: text = "tier \(tier.index + 1): \(tier.units) \(unit) × \(tier.unitPrice)"
            }
            if tier.flatFee != .zero { text += " + flat \(tier.flatFee)" }
            pieces.append(text + " = \(tier.amount)")
        }
        if part.minimumTopUp != .zero { pieces.append("minimum adds \(part.minimumTopUp)") }
        pieces.append("amount \(part.amount)")
        return pieces.joined(separator: "; ")
    }

    static func align(_ rows: [[String]], details: [Int: [String]]) -> String {
        var widths = [Int](repeating: 0, count: rows.first?.count ?? 0)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for (r, row) in rows.enumerated() {
            var line = ""
            for (i, cell) in row.enumerated() {
                line += cell
                if i < row.count - 1 { line += String(repeating: " ", count: widths[i] - cell.count + 2) }
            }
            out += line + "\n"
            for detail in details[r] ?? [] { out += "    " + detail + "\n" }
        }
        return out
    }

    static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\"\($0.0)\": \"\(escape($0.1))\"" }.joined(separator: ", ") + "}"
    }

    /// JSON string escaping (RFC 8259): quote, backslash and control characters.
    static func escape(_ text: String) -> String { JSONString.escaped(text) }
}
