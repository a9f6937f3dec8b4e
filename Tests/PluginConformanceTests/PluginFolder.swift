import Core
import Foundation
import TestKit
import YAMLConfig

/// A plugin's folder (`Sources/Adapters/<Name>` or `Sources/Sinks/<Name>`),
/// found by the `type:` its sample.yaml declares, so the mapping from factory
/// to folder needs no list.
struct PluginFolder: Sendable {
    /// The folder's absolute path.
    let path: String
    /// The sample's entry id (`edge_1`), or `sample` for a sample that is the entry itself.
    let id: String
    /// The `sources.<id>` / `sinks.<id>` mapping the sample holds.
    let entry: ConfigNode

    var readme: String { path + "/README.md" }
    var sample: String { path + "/sample.yaml" }

    /// The folders that hold plugins: every direct subfolder of these.
    static let roots = ["Sources/Adapters", "Sources/Sinks"]

    /// The folder whose sample.yaml declares `type`, or an error naming what was searched.
    static func find(type: String) throws -> PluginFolder {
        var seen: [String] = []
        for folder in try candidates() {
            let sample = folder + "/sample.yaml"
            guard FileManager.default.fileExists(atPath: sample) else { continue }
            let root = try YAMLDocument.load(path: sample)
            guard let (id, entry) = Self.entry(in: root) else {
                throw TestKitError("\(sample): neither a plugin entry with `type:` nor one `<id>:` holding one")
            }
            let declared = entry["type"]?.scalar ?? ""
            seen.append("\(folder): \(declared)")
            if declared == type { return PluginFolder(path: folder, id: id, entry: entry) }
        }
        throw TestKitError(
            "no folder under \(roots.joined(separator: " or ")) has a sample.yaml of type \(type) (found: \(seen.joined(separator: "; ")))"
        )
    }

    /// Every direct subfolder of `roots`, sorted.
    static func candidates() throws -> [String] {
        try roots.flatMap { root in
            try FileManager.default.contentsOfDirectory(atPath: Repository.path(root)).sorted().map {
                Repository.path(root + "/" + $0)
            }
        }
    }

    /// A sample is either the entry itself (`type: …` at the top) or one `<id>:` holding it.
    static func entry(in root: ConfigNode) -> (String, ConfigNode)? {
        guard case .mapping(let entries) = root.value else { return nil }
        if root["type"] != nil { return ("sample", root) }
        guard entries.count == 1, let only = entries.first, only.value["type"] != nil else { return nil }
        return (only.key, only.value)
    }
}
