/// Output formats of `billing-service usage --format`.
public enum UsageFormat: String, Sendable, CaseIterable, Hashable {
    case table, json, csv
}

/// Renders usage rows for people (table) and programs (json, csv).
///
/// Exists so the CLI and tests share one exact rendering: quantities as integer
/// strings, amounts as canonical decimal strings (`Money.description`, no
/// rounding), period starts as RFC 3339 UTC. Output ends with a newline.
public enum UsageReport {
    /// The field names, in output order (JSON keys and CSV header).
    public static let fields = ["subject", "metric", "unit", "period_start", "quantity", "amount", "currency"]

    public static func render(_ rows: [UsageRow], format: UsageFormat) -> String {
        switch format {
        case .table: return table(rows)
        case .json: return json(rows)
        case .csv: return csv(rows)
        }
    }

    static func values(_ row: UsageRow) -> [String] {
        [
            row.subject, row.metric, row.unit, row.periodStart.rfc3339(fractionalDigits: .none), row.quantity,
            row.amount.description, row.currency,
        ]
    }

    /// `"field":` for each of `fields`, escaped once rather than once per row.
    static let jsonKeys: [[UInt8]] = fields.map { Array((JSONString.quoted($0) + ":").utf8) }

    /// One JSON array, one object per line, keys in `fields` order.
    public static func json(_ rows: [UsageRow]) -> String {
        String(decoding: jsonBytes(rows), as: UTF8.self)
    }

    /// `json(rows)` as UTF-8 bytes, which the API sends as they are.
    public static func jsonBytes(_ rows: [UsageRow]) -> [UInt8] {
        guard !rows.isEmpty else { return Array("[]\n".utf8) }
        // Bytes, not string concatenation: the API renders this for every usage request.
        var out: [UInt8] = []
        out.reserveCapacity(rows.count * 200)
        out.append(contentsOf: "[\n".utf8)
        for (i, row) in rows.enumerated() {
            appendJSONObject(row, to: &out)
            out.append(contentsOf: (i == rows.count - 1 ? "\n" : ",\n").utf8)
        }
        out.append(contentsOf: "]\n".utf8)
        return out
    }

    /// One row as `json` writes it inside its array: `  {"subject":…}`, no separator.
    public static func appendJSONObject(_ row: UsageRow, to out: inout [UInt8]) {
        out.append(contentsOf: "  {".utf8)
        for (j, (key, value)) in zip(jsonKeys, values(row)).enumerated() {
            if j > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: key)
            JSONString.appendQuoted(value, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// RFC 4180: a header line, fields quoted only when they hold `,`, `"` or a line break.
    public static func csv(_ rows: [UsageRow]) -> String {
        var out = fields.joined(separator: ",") + "\n"
        for row in rows {
            out += values(row).map(csvField).joined(separator: ",") + "\n"
        }
        return out
    }

    /// Aligned columns; numbers right-aligned. "no usage" when empty.
    public static func table(_ rows: [UsageRow]) -> String {
        guard !rows.isEmpty else { return "no usage in the requested range\n" }
        let header = ["PERIOD_START", "SUBJECT", "METRIC", "QUANTITY", "UNIT", "AMOUNT", "CURRENCY"]
        let rightAligned: Set<Int> = [3, 5]
        let body = rows.map { row in
            [
                row.periodStart.rfc3339(fractionalDigits: .none), row.subject, row.metric, row.quantity, row.unit,
                row.amount.description, row.currency,
            ]
        }
        var widths = header.map(\.count)
        for line in body {
            for (i, cell) in line.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func format(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, cell) in cells.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                parts.append(rightAligned.contains(i) ? pad + cell : cell + pad)
            }
            var line = parts.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }
        return ([format(header)] + body.map(format)).joined(separator: "\n") + "\n"
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacing("\"", with: "\"\"") + "\""
    }
}
