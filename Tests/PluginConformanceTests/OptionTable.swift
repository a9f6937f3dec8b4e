import Foundation
import TestKit

/// The option keys a plugin README documents: every backquoted name in the
/// first column of the table under its `## Options` heading (a row may name
/// several, as `token_env` / `token_file`).
enum OptionTable {
    static func keys(readme path: String) throws -> Set<String> {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var inOptions = false
        var keys: Set<String> = []
        var sawTable = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") {
                if inOptions { break }
                inOptions = line.dropFirst(3).trimmingCharacters(in: .whitespaces) == "Options"
                continue
            }
            guard inOptions, line.hasPrefix("|") else { continue }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false)
            guard cells.count > 2 else { continue }
            let first = cells[1]
            // The header row and the |---| rule name no key.
            if first.allSatisfy({ $0 == "-" || $0 == " " || $0 == ":" }) { continue }
            sawTable = true
            keys.formUnion(backquoted(in: String(first)))
        }
        guard sawTable else { throw TestKitError("\(path): no table under a `## Options` heading") }
        return keys
    }

    /// The `names` between backquotes.
    static func backquoted(in text: String) -> [String] {
        let parts = text.split(separator: "`", omittingEmptySubsequences: false)
        return stride(from: 1, to: parts.count, by: 2).map { String(parts[$0]) }.filter { !$0.isEmpty }
    }
}
