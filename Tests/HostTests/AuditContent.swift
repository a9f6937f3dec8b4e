import Foundation

/// The usage lines of an audit directory, with the chain fields removed, as
/// canonical JSON text: what must be equal between a crashed and a clean run.
enum AuditContent {
    static func usageLines(directory: String) throws -> [String] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".jsonl") }.sorted()
        var lines: [String] = []
        for file in files {
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                guard var object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    object["kind"] as? String == "usage"
                else { continue }
                for key in ["seq", "hash", "prev_hash"] { object.removeValue(forKey: key) }
                let canonical = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                lines.append(String(decoding: canonical, as: UTF8.self))
            }
        }
        return lines
    }
}
