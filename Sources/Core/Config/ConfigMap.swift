/// Typed, problem-recording access to one mapping of a config document.
///
/// Every accessor records a precise problem (path, line, what was expected) and
/// returns `nil` instead of throwing, so one pass finds every problem. Keys a
/// decoder asked about are the known keys; `finish()` reports the rest as unknown.
public final class ConfigMap {
    public let path: String
    public let node: ConfigNode
    public let diagnostics: ConfigDiagnostics
    private var known: [String] = []
    private let entries: [ConfigNode.Entry]

    /// Wraps `node`; records a problem when it is not a mapping (an empty node is an empty mapping).
    public init(_ node: ConfigNode, path: String, diagnostics: ConfigDiagnostics) {
        self.node = node
        self.path = path
        self.diagnostics = diagnostics
        switch node.value {
        case .mapping(let entries):
            self.entries = entries
            var seen: Set<String> = []
            for entry in entries where !seen.insert(entry.key).inserted {
                diagnostics.record(path: Self.join(path, entry.key), line: entry.keyLine, "duplicate key")
            }
        case .null:
            self.entries = []
        default:
            self.entries = []
            diagnostics.record(path: path, line: node.line, "expected a mapping, found \(node.kindName)")
        }
    }

    public var line: Int { node.line }

    /// Keys in document order.
    public var keys: [String] { entries.map(\.key) }

    static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : path + "." + key
    }

    public func childPath(_ key: String) -> String { Self.join(path, key) }

    /// Declares `key` known without reading it.
    public func declare(_ keys: String...) {
        known.append(contentsOf: keys)
    }

    public func declare(_ keys: [String]) {
        known.append(contentsOf: keys)
    }

    public func has(_ key: String) -> Bool {
        declare(key)
        return entries.contains { $0.key == key }
    }

    /// The raw node at `key` (marks it known). `nil` when absent or explicitly null.
    public func node(_ key: String) -> ConfigNode? {
        declare(key)
        guard let entry = entries.first(where: { $0.key == key }) else { return nil }
        if case .null = entry.value.value { return nil }
        return entry.value
    }

    /// Records a problem about `key` (at its value's line, or the map's line when absent).
    public func problem(_ key: String, _ message: String) {
        let line = entries.first(where: { $0.key == key })?.value.line ?? node.line
        diagnostics.record(path: childPath(key), line: line, message)
    }

    /// Records a problem about the map itself.
    public func problem(_ message: String) {
        diagnostics.record(path: path, line: node.line, message)
    }

    private func missing(_ key: String) {
        diagnostics.record(path: childPath(key), line: node.line, "required key is missing")
    }

    private func scalar(_ key: String, required: Bool, expecting what: String) -> (String, Int)? {
        guard let value = node(key) else {
            if required { missing(key) }
            return nil
        }
        guard let text = value.scalar else {
            diagnostics.record(path: childPath(key), line: value.line, "expected \(what), found \(value.kindName)")
            return nil
        }
        return (text, value.line)
    }

    public func string(_ key: String, required: Bool = false) -> String? {
        guard let (text, line) = scalar(key, required: required, expecting: "a string") else { return nil }
        if required && text.isEmpty {
            diagnostics.record(path: childPath(key), line: line, "must not be empty")
            return nil
        }
        return text
    }

    public func bool(_ key: String) -> Bool? {
        guard let (text, line) = scalar(key, required: false, expecting: "true or false") else { return nil }
        switch text {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            diagnostics.record(path: childPath(key), line: line, "expected true or false, found \"\(text)\"")
            return nil
        }
    }

    public func integer(_ key: String, in range: ClosedRange<Int>? = nil, required: Bool = false) -> Int? {
        integer(key, as: Int.self, in: range, required: required)
    }

    public func integer<T: FixedWidthInteger>(
        _ key: String, as type: T.Type, in range: ClosedRange<T>? = nil, required: Bool = false
    ) -> T? {
        guard let (text, line) = scalar(key, required: required, expecting: "an integer") else { return nil }
        let cleaned = text.replacingUnderscores()
        guard let value = T(cleaned, radix: 10) else {
            diagnostics.record(path: childPath(key), line: line, "expected an integer, found \"\(text)\"")
            return nil
        }
        if let range, !range.contains(value) {
            diagnostics.record(
                path: childPath(key), line: line,
                "\(value) is out of range (\(range.lowerBound)...\(range.upperBound))")
            return nil
        }
        return value
    }

    /// A duration written `90s`, `2m`, `6h`, `1h30m`, `500ms`, `1d`.
    public func duration(_ key: String, required: Bool = false, minimum: Duration? = nil) -> Duration? {
        guard let (text, line) = scalar(key, required: required, expecting: "a duration") else { return nil }
        guard let value = ConfigValueParser.duration(text) else {
            diagnostics.record(
                path: childPath(key), line: line,
                "expected a duration such as 90s, 2m, 6h or 1h30m, found \"\(text)\"")
            return nil
        }
        if let minimum, value < minimum {
            diagnostics.record(path: childPath(key), line: line, "must be at least \(minimum)")
            return nil
        }
        return value
    }

    /// A size in bytes written `32MiB`, `512KiB`, `10MB`, `1GiB` or a plain integer of bytes.
    public func size(_ key: String, required: Bool = false) -> Int64? {
        guard let (text, line) = scalar(key, required: required, expecting: "a size") else { return nil }
        guard let value = ConfigValueParser.size(text) else {
            diagnostics.record(
                path: childPath(key), line: line, "expected a size such as 32MiB, 512KiB or 10MB, found \"\(text)\"")
            return nil
        }
        return value
    }

    /// A timestamp in RFC 3339.
    public func timestamp(_ key: String, required: Bool = false) -> Timestamp? {
        guard let (text, line) = scalar(key, required: required, expecting: "an RFC 3339 timestamp") else {
            return nil
        }
        do {
            return try Timestamp.parse(rfc3339: text)
        } catch .malformed {
            diagnostics.record(
                path: childPath(key), line: line,
                "expected an RFC 3339 timestamp such as 2026-11-01T00:00:00Z, found \"\(text)\"")
            return nil
        } catch {
            diagnostics.record(path: childPath(key), line: line, "\(error), found \"\(text)\"")
            return nil
        }
    }

    /// One of a fixed set of names; an unknown value lists the valid ones.
    public func enumeration<E: RawRepresentable & CaseIterable>(
        _ key: String, of type: E.Type, required: Bool = false
    ) -> E? where E.RawValue == String {
        guard let (text, line) = scalar(key, required: required, expecting: "a name") else { return nil }
        guard let value = E(rawValue: text) else {
            let valid = E.allCases.map(\.rawValue).joined(separator: ", ")
            diagnostics.record(path: childPath(key), line: line, "unknown value \"\(text)\" (valid: \(valid))")
            return nil
        }
        return value
    }

    /// A list of scalars.
    public func stringList(_ key: String, required: Bool = false) -> [String]? {
        guard let value = node(key) else {
            if required { missing(key) }
            return nil
        }
        guard case .sequence(let items) = value.value else {
            diagnostics.record(path: childPath(key), line: value.line, "expected a list, found \(value.kindName)")
            return nil
        }
        var out: [String] = []
        for (index, item) in items.enumerated() {
            guard let text = item.scalar else {
                diagnostics.record(
                    path: childPath(key) + "[\(index)]", line: item.line, "expected a string, found \(item.kindName)")
                return nil
            }
            out.append(text)
        }
        return out
    }

    /// A list of nodes with their paths (`prices[3]`).
    public func list(_ key: String, required: Bool = false) -> [(path: String, node: ConfigNode)]? {
        guard let value = node(key) else {
            if required { missing(key) }
            return nil
        }
        guard case .sequence(let items) = value.value else {
            diagnostics.record(path: childPath(key), line: value.line, "expected a list, found \(value.kindName)")
            return nil
        }
        return items.enumerated().map { (childPath(key) + "[\($0.offset)]", $0.element) }
    }

    /// A nested mapping.
    public func map(_ key: String, required: Bool = false) -> ConfigMap? {
        guard let value = node(key) else {
            if required { missing(key) }
            return nil
        }
        return ConfigMap(value, path: childPath(key), diagnostics: diagnostics)
    }

    /// A nested mapping of string values (`match: { region: eu }`).
    public func stringMap(_ key: String) -> [String: String]? {
        guard let nested = map(key) else { return nil }
        var out: [String: String] = [:]
        for entry in nested.entries {
            guard let text = entry.value.scalar else {
                diagnostics.record(
                    path: nested.childPath(entry.key), line: entry.value.line,
                    "expected a string, found \(entry.value.kindName)")
                continue
            }
            out[entry.key] = text
        }
        return out
    }

    /// A credential named `base`: read from `<base>_env` (an environment variable) or
    /// `<base>_file` (a file), never written inline. An inline `<base>:` is an error
    /// whose message does not repeat the value.
    public func secret(_ base: String, required: Bool = false) -> SecretReference? {
        let inline = has(base)
        if inline {
            let line = entries.first(where: { $0.key == base })?.value.line ?? node.line
            diagnostics.record(
                path: childPath(base), line: line,
                "credentials are never written inline: use \(base)_env (an environment variable) or \(base)_file")
        }
        let env = string(base + "_env")
        let file = string(base + "_file")
        switch (env, file) {
        case (let name?, nil):
            if name.isEmpty { problem(base + "_env", "must name an environment variable") }
            return .environment(name)
        case (nil, let path?):
            if path.isEmpty { problem(base + "_file", "must name a file") }
            return .file(path)
        case (.some, .some):
            problem(base + "_env", "give either \(base)_env or \(base)_file, not both")
            return nil
        case (nil, nil):
            if required && !inline {
                diagnostics.record(
                    path: childPath(base + "_env"), line: node.line, "required: set \(base)_env or \(base)_file")
            }
            return nil
        }
    }

    /// Reports every key no accessor asked about, listing the valid ones.
    public func finish() {
        let knownSet = Set(known)
        var validNames: [String] = []
        var seen: Set<String> = []
        for key in known where seen.insert(key).inserted { validNames.append(key) }
        for entry in entries where !knownSet.contains(entry.key) {
            diagnostics.record(
                path: childPath(entry.key), line: entry.keyLine,
                "unknown key (valid: \(validNames.joined(separator: ", ")))")
        }
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(self.filter { $0 != "_" })
    }
}
