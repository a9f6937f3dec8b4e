import Core
import Foundation

/// Reads usage facts for `billing-service rate`: a JSON-lines usage file, or an
/// audit directory (whose hash chain is verified as it is read, by the sink
/// type that writes audit trails).
///
/// A usage file line is `{"subject", "metric", "minute", "quantity"}` with
/// optional `"dimensions"` (object of strings) and `"source"`; `quantity` is a
/// non-negative integer in base units (number or string), `minute` RFC 3339.
/// The audit's usage lines have this shape, so `grep '"kind":"usage"'` of an
/// audit file is a valid usage file.
enum UsageFile {
    static func read(path: String) throws -> [UsageFact] {
        var facts: [UsageFact] = []
        for (lineNumber, object) in try JSONLinesFile.objects(path: path) {
            if let kind = object["kind"] as? String, kind != "usage" { continue }
            func string(_ key: String) throws -> String {
                guard let value = object[key] as? String, !value.isEmpty else {
                    throw JSONLinesFile.Problem(
                        file: path, line: lineNumber, message: "\"\(key)\" must be a non-empty string")
                }
                return value
            }
            let subject = try string("subject")
            let metric = try string("metric")
            guard let minute = Timestamp(rfc3339: try string("minute")) else {
                throw JSONLinesFile.Problem(
                    file: path, line: lineNumber, message: "\"minute\" is not an RFC 3339 timestamp")
            }
            let quantity: UInt64
            if let text = object["quantity"] as? String, let value = UInt64(text) {
                quantity = value
            } else if let number = object["quantity"] as? NSNumber, let value = UInt64(number.stringValue) {
                quantity = value
            } else {
                throw JSONLinesFile.Problem(
                    file: path, line: lineNumber, message: "\"quantity\" must be a non-negative integer (base units)")
            }
            var dimensions: [Core.Dimension] = []
            if let labels = object["dimensions"] {
                guard let labels = labels as? [String: String] else {
                    throw JSONLinesFile.Problem(
                        file: path, line: lineNumber, message: "\"dimensions\" must be an object of strings")
                }
                dimensions = labels.map { Core.Dimension($0.key, $0.value) }
            }
            let series = SeriesKey(
                source: object["source"] as? String ?? "usage-file", subject: subject, metric: metric,
                dimensions: dimensions)
            let id = FactID(high: UInt64(lineNumber), low: 0)
            facts.append(
                UsageFact(
                    id: id, series: series, from: minute.minuteStart, to: minute.minuteStart,
                    minute: minute.minuteStart,
                    quantity: quantity))
        }
        return facts
    }

    static func readAudit(path: String, registry: PluginRegistry = .builtIn()) throws -> [UsageFact] {
        try registry.auditTrailReader().auditedUsage(at: path)
    }
}
