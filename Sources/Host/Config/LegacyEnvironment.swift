public import Core
import Foundation
import WireFormats

/// Builds configuration from the environment of an existing billing deployment
/// (UPSTREAMS §1), so it can switch to billing-service without rewriting it.
///
/// `EXPORTER_SOURCES_JSON` (a JSON array of `{source_id, base_url,
/// expected_node_id, expected_env, enabled, timeout_seconds}`) or else
/// `EXPORTER_BASE_URL` (one source, id `default`) become `exporter_pull`
/// sources with the bearer token from `INTERNAL_SERVICE_TOKEN` and the interval
/// from `COLLECT_INTERVAL` (default 1m); a timeout ≤ 0 means 15 s, as before.
/// `DATABASE_URL` becomes a `postgres` sink when the whole configuration comes
/// from the environment (`run --legacy-env` without a plugins.yaml). Nodes made
/// here carry line 0: their problems are named by variable instead.
public enum LegacyEnvironment {
    /// A variable that is missing or malformed.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var variable: String
        public var message: String
        public var description: String { "\(variable): \(message)" }
    }

    public typealias Lookup = @Sendable (String) -> String?

    /// The plugin types the seed's environment contract maps to: a pull source
    /// per exporter and one ledger sink that also keeps the state. Named by the
    /// registry file (`PluginRegistry.legacyEnvironment`), never here.
    public struct Types: Sendable, Hashable {
        public var pullSource: String
        public var ledgerSink: String

        public init(pullSource: String, ledgerSink: String) {
            self.pullSource = pullSource
            self.ledgerSink = ledgerSink
        }
    }

    static let sourcesVariable = "EXPORTER_SOURCES_JSON"
    static let baseURLVariable = "EXPORTER_BASE_URL"
    static let tokenVariable = "INTERNAL_SERVICE_TOKEN"
    static let intervalVariable = "COLLECT_INTERVAL"
    static let databaseVariable = "DATABASE_URL"

    /// One legacy source, as the old service read it.
    struct Source: Equatable {
        var id: String
        var baseURL: String
        var expectedNodeID: String?
        var expectedEnv: String?
        var timeoutSeconds: Int64
    }

    /// The enabled sources of the environment.
    static func sources(_ environment: Lookup) throws(Invalid) -> [Source] {
        if let text = environment(sourcesVariable), !text.trimmingCharacters(in: .whitespaces).isEmpty {
            return try parseSources(text)
        }
        if let url = environment(baseURLVariable), !url.isEmpty {
            return [Source(id: "default", baseURL: url, expectedNodeID: nil, expectedEnv: nil, timeoutSeconds: 15)]
        }
        throw Invalid(
            variable: sourcesVariable, message: "neither \(sourcesVariable) nor \(baseURLVariable) is set")
    }

    static func parseSources(_ text: String) throws(Invalid) -> [Source] {
        let bytes = Array(text.utf8)
        do {
            try JSONSyntax.check(bytes)
        } catch {
            throw Invalid(variable: sourcesVariable, message: "invalid JSON at \(error)")
        }
        guard let array = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [Any] else {
            throw Invalid(variable: sourcesVariable, message: "must be a JSON array of source objects")
        }
        guard !array.isEmpty else { throw Invalid(variable: sourcesVariable, message: "the array is empty") }
        var out: [Source] = []
        var seen: Set<String> = []
        for (index, element) in array.enumerated() {
            func invalid(_ key: String?, _ message: String) -> Invalid {
                Invalid(variable: "\(sourcesVariable)[\(index)]" + (key.map { ".\($0)" } ?? ""), message: message)
            }
            guard let object = element as? [String: Any] else { throw invalid(nil, "must be an object") }
            let known: Set<String> = [
                "source_id", "base_url", "expected_node_id", "expected_env", "enabled", "timeout_seconds",
            ]
            if let unknown = object.keys.filter({ !known.contains($0) }).sorted().first {
                throw invalid(unknown, "unknown key (valid: \(known.sorted().joined(separator: ", ")))")
            }
            func string(_ key: String, required: Bool) throws(Invalid) -> String? {
                guard let value = object[key], !(value is NSNull) else {
                    if required { throw invalid(key, "required") }
                    return nil
                }
                guard let text = value as? String else { throw invalid(key, "must be a string") }
                if required && text.isEmpty { throw invalid(key, "must not be empty") }
                return text.isEmpty ? nil : text
            }
            let id = try string("source_id", required: true) ?? ""
            let url = try string("base_url", required: true) ?? ""
            guard seen.insert(id).inserted else { throw invalid("source_id", "\"\(id)\" is given twice") }
            if let enabled = object["enabled"], !(enabled is NSNull) {
                guard let flag = enabled as? NSNumber, String(cString: flag.objCType) == "c" else {
                    throw invalid("enabled", "must be true or false")
                }
                if !flag.boolValue { continue }
            }
            var timeout: Int64 = 15
            if let value = object["timeout_seconds"], !(value is NSNull) {
                guard let number = value as? NSNumber, String(cString: number.objCType) != "c",
                    let seconds = Int64(number.stringValue)
                else { throw invalid("timeout_seconds", "must be a whole number of seconds") }
                if seconds > 0 { timeout = seconds }
            }
            out.append(
                Source(
                    id: id, baseURL: url, expectedNodeID: try string("expected_node_id", required: false),
                    expectedEnv: try string("expected_env", required: false), timeoutSeconds: timeout))
        }
        guard !out.isEmpty else { throw Invalid(variable: sourcesVariable, message: "every source is disabled") }
        return out
    }

    /// The `sources:` entries of the environment's exporter_pull sources.
    static func sourceEntries(_ environment: Lookup, types: Types) throws(Invalid) -> [ConfigNode.Entry] {
        let interval = environment(intervalVariable).flatMap { $0.isEmpty ? nil : $0 } ?? "1m"
        return try sources(environment).map { source in
            var fields: [(String, String)] = [
                ("type", types.pullSource), ("base_url", source.baseURL), ("token_env", tokenVariable),
                ("interval", interval), ("timeout", "\(source.timeoutSeconds)s"),
            ]
            if let node = source.expectedNodeID { fields.append(("expected_node_id", node)) }
            if let env = source.expectedEnv { fields.append(("expected_env", env)) }
            return ConfigNode.Entry(key: source.id, keyLine: 0, value: mapping(fields))
        }
    }

    /// `root` with the environment's sources added, when it says `legacy_env: true`
    /// (or `force`); the `legacy_env` key itself is consumed here.
    public static func apply(to root: ConfigNode, environment: @escaping Lookup, types: Types, force: Bool = false)
        throws(Invalid) -> ConfigNode
    {
        guard case .mapping(var entries) = root.value else { return root }
        var enabled = force
        if let index = entries.firstIndex(where: { $0.key == "legacy_env" }) {
            let flag = entries[index].value.scalar
            guard flag == "true" || flag == "false" else {
                throw Invalid(
                    variable: "legacy_env (line \(entries[index].keyLine))", message: "must be true or false")
            }
            enabled = enabled || flag == "true"
            entries.remove(at: index)
        }
        guard enabled else { return ConfigNode(.mapping(entries), line: root.line) }
        let added = try sourceEntries(environment, types: types)
        if let index = entries.firstIndex(where: { $0.key == "sources" }),
            case .mapping(let existing) = entries[index].value.value
        {
            entries[index].value = ConfigNode(.mapping(existing + added), line: entries[index].value.line)
        } else {
            entries.append(ConfigNode.Entry(key: "sources", keyLine: 0, value: ConfigNode(.mapping(added), line: 0)))
        }
        return ConfigNode(.mapping(entries), line: root.line)
    }

    /// A whole configuration from the environment: its sources into the ledger
    /// sink (`types.ledgerSink`) at `DATABASE_URL`, which also keeps the pipeline state.
    public static func document(environment: @escaping Lookup, types: Types) throws(Invalid) -> ConfigNode {
        guard environment(databaseVariable)?.isEmpty == false else {
            throw Invalid(variable: databaseVariable, message: "not set (the ledger database is required)")
        }
        let sources = try sourceEntries(environment, types: types)
        let ids = sources.map { ConfigNode(.scalar($0.key), line: 0) }
        return mapping([
            ("version", .scalar("1")),
            ("state", mapping([("store", types.ledgerSink), ("sink", "ledger")]).value),
            ("sources", .mapping(sources)),
            (
                "sinks",
                .mapping([
                    entry("ledger", mapping([("type", types.ledgerSink), ("database_url_env", databaseVariable)]))
                ])
            ),
            (
                "pipelines",
                .mapping([
                    entry(
                        "legacy",
                        ConfigNode(
                            .mapping([
                                entry("sources", ConfigNode(.sequence(ids), line: 0)),
                                entry(
                                    "sinks", ConfigNode(.sequence([ConfigNode(.scalar("ledger"), line: 0)]), line: 0)),
                            ]), line: 0))
                ])
            ),
        ])
    }

    static func entry(_ key: String, _ value: ConfigNode) -> ConfigNode.Entry {
        ConfigNode.Entry(key: key, keyLine: 0, value: value)
    }

    static func mapping(_ fields: [(String, String)]) -> ConfigNode {
        ConfigNode(.mapping(fields.map { entry($0.0, ConfigNode(.scalar($0.1), line: 0)) }), line: 0)
    }

    static func mapping(_ fields: [(String, ConfigNode.Value)]) -> ConfigNode {
        ConfigNode(.mapping(fields.map { entry($0.0, ConfigNode($0.1, line: 0)) }), line: 0)
    }
}
