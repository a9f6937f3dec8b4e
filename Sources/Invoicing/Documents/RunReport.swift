import Foundation

/// What `invoice run` prints: counts and ids per outcome, as a table or JSON.
public enum RunReport {
    public enum Format: String, Sendable, CaseIterable {
        case table
        case json
    }

    public static func render(_ result: RunResult, period: String, format: Format) -> String {
        switch format {
        case .table:
            var out = "period \(period): \(result.created.count) created, \(result.updated.count) updated, "
            out += "\(result.unchanged.count) unchanged, \(result.closed.count) finalized or void (left as they are)\n"
            for (name, ids) in [
                ("created", result.created), ("updated", result.updated), ("unchanged", result.unchanged),
                ("closed", result.closed),
            ] {
                for id in ids { out += "\(name)  \(id)\n" }
            }
            return out
        case .json:
            let object: [String: Any] = [
                "period": period,
                "created": ["count": result.created.count, "ids": result.created],
                "updated": ["count": result.updated.count, "ids": result.updated],
                "unchanged": ["count": result.unchanged.count, "ids": result.unchanged],
                "closed": ["count": result.closed.count, "ids": result.closed],
            ]
            let data =
                (try? JSONSerialization.data(
                    withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]))
                ?? Data("{}".utf8)
            return String(decoding: data, as: UTF8.self) + "\n"
        }
    }
}
