import Foundation
import TestKit

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
