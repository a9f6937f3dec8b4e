import Foundation

/// Reads a small JSON-lines input file of the CLI (`rate --usage`, `rate
/// --activity`): one object a line, blank lines skipped, every problem named
/// `FILE:LINE: reason`.
enum JSONLinesFile {
    struct Problem: Error, CustomStringConvertible {
        var file: String
        var line: Int
        var message: String
        var description: String { "\(file):\(line): \(message)" }
    }

    /// Each non-blank line's object with its 1-based line number.
    static func objects(path: String) throws -> [(line: Int, object: [String: Any])] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problem(file: path, line: 0, message: "cannot read the file")
        }
        var out: [(line: Int, object: [String: Any])] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw Problem(file: path, line: lineNumber, message: "not a JSON object")
            }
            out.append((lineNumber, object))
        }
        return out
    }
}
