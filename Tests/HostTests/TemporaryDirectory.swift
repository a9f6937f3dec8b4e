import Foundation

/// A fresh directory under the system temp dir, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "billing-host") throws {
        path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

extension TemporaryDirectory {
    /// The shipped plugins.yaml rewritten so its state and audit live in this
    /// directory and its examples are read from the repository; returns its path.
    func defaultConfig(repositoryRoot root: String) throws -> String {
        var yaml = try String(contentsOfFile: root + "/plugins.yaml", encoding: .utf8)
        yaml = yaml.replacingOccurrences(of: "path: var/", with: "path: \(path)/var/")
        yaml = yaml.replacingOccurrences(of: "examples/", with: root + "/examples/")
        try yaml.write(toFile: file("plugins.yaml"), atomically: true, encoding: .utf8)
        return file("plugins.yaml")
    }
}
