public import Foundation

/// Where the checked-out repository is, so tests read the shipped examples,
/// plugin folders and docs wherever the checkout lies.
public enum Repository {
    /// The repository root (this file is `Tests/TestKit/Repository.swift`).
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `relative` (such as `examples/fixtures`) under the root.
    public static func path(_ relative: String) -> String { root + "/" + relative }

    public static var url: URL { URL(fileURLWithPath: root) }
}
