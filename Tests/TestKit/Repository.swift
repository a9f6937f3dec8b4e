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

    /// The `billing-service` executable built beside the test bundle, or the
    /// one `BILLING_SERVICE_BIN` names, for tests that run it as an operator would.
    public static var billingServiceExecutable: String {
        if let override = ProcessInfo.processInfo.environment["BILLING_SERVICE_BIN"] { return override }
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [
            bundleDir.appendingPathComponent("billing-service").path,
            bundleDir.deletingLastPathComponent().appendingPathComponent("billing-service").path,
            FileManager.default.currentDirectoryPath + "/.build/debug/billing-service",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }
}
