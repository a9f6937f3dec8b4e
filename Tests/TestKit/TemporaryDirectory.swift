public import Foundation

/// A fresh directory under the system temp dir for one test's files, removed
/// by `remove()` (tests call it in a `defer`).
public struct TemporaryDirectory: Sendable {
    public let path: String

    /// Made at once; `label` starts the directory's name so a leftover names its test.
    public init(_ label: String = "billing-test") throws {
        path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString.lowercased())"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the directory (nothing is created).
    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `name`, replacing it.
    @discardableResult
    public func write(_ text: String, to name: String) throws -> String {
        try Data(text.utf8).write(to: URL(fileURLWithPath: file(name)))
        return file(name)
    }

    /// The names of the files directly inside, sorted; only those ending in `suffix` when given.
    public func files(endingWith suffix: String = "") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(suffix) }.sorted()
    }

    /// The `\n`-terminated lines of `name`, without their terminators (a last
    /// line without `\n` is kept).
    public func lines(of name: String) throws -> [String] {
        let text = try String(contentsOfFile: file(name), encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
