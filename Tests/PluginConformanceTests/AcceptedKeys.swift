import Core
import Foundation
import TestKit

/// The keys a factory accepts, learnt from the factory itself: the sample
/// entry plus one key no plugin knows is decoded, and `ConfigMap.finish()`'s
/// "unknown key (valid: …)" problem lists every key the factory asked about.
///
/// Keys a decoder asks about only on some paths (a key read only for one
/// value of another) are those the sample's path reaches: the samples set
/// every option, so they reach them all.
enum AcceptedKeys {
    static let probe = "conformance_probe_key_no_plugin_knows"

    static func of(_ plugin: PluginCase, folder: PluginFolder, context: PluginContext) throws -> Set<String> {
        guard case .mapping(let entries) = folder.entry.value else {
            throw TestKitError("\(folder.sample): the entry is not a mapping")
        }
        let probed = ConfigNode(
            .mapping(entries + [.init(key: probe, keyLine: 0, value: ConfigNode(.scalar("x"), line: 0))]),
            line: folder.entry.line)
        let diagnostics = ConfigDiagnostics()
        let path = "\(plugin.section).\(folder.id)"
        _ = try plugin.make(
            id: folder.id, entry: ConfigMap(probed, path: path, diagnostics: diagnostics), context: context)
        let marker = "unknown key (valid: "
        guard let problem = diagnostics.problems.first(where: { $0.path == path + "." + probe }),
            let start = problem.message.range(of: marker), problem.message.hasSuffix(")")
        else {
            throw TestKitError(
                "the \(plugin.type) factory did not report \(probe) as an unknown key listing the valid ones: \(diagnostics.problems)"
            )
        }
        let list = problem.message[start.upperBound...].dropLast()
        var keys = Set(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        // `type:` is the host's (ConfigLoader reads it to pick the factory), not an option.
        keys.remove("type")
        // ConfigMap.secret asks about an inline `<base>:` only to refuse it
        // ("credentials are never written inline"): not an accepted key.
        for key in keys where keys.contains(key + "_env") && keys.contains(key + "_file") { keys.remove(key) }
        return keys
    }
}
