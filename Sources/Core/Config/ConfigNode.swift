/// A parsed configuration document with the source line of every node.
///
/// Plugins decode their config from this tree rather than from `Decodable`, so
/// validation can report every problem at once with its YAML path and line.
/// Host builds it from YAML; Core stays free of any YAML library.
public struct ConfigNode: Sendable {
    /// One `key: value` pair of a mapping, in document order.
    public struct Entry: Sendable {
        public var key: String
        public var keyLine: Int
        public var value: ConfigNode

        public init(key: String, keyLine: Int, value: ConfigNode) {
            self.key = key
            self.keyLine = keyLine
            self.value = value
        }
    }

    public enum Value: Sendable {
        case null
        case scalar(String)
        case sequence([ConfigNode])
        case mapping([Entry])
    }

    public var value: Value
    /// 1-based line in the document.
    public var line: Int

    public init(_ value: Value, line: Int) {
        self.value = value
        self.line = line
    }

    /// What kind of node this is, for error messages.
    public var kindName: String {
        switch value {
        case .null: return "nothing"
        case .scalar: return "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    public var scalar: String? {
        if case .scalar(let s) = value { return s }
        return nil
    }

    public subscript(key: String) -> ConfigNode? {
        if case .mapping(let entries) = value { return entries.first { $0.key == key }?.value }
        return nil
    }
}

/// One problem found in a configuration document.
public struct ConfigProblem: Hashable, Sendable, CustomStringConvertible {
    /// Dotted path (`sources.fixtures.format`); list items as `[2]`.
    public var path: String
    public var line: Int
    public var message: String

    public init(path: String, line: Int, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    /// `path (line N): message`; problems outside a file (line 0) leave the line out.
    public var description: String { line > 0 ? "\(path) (line \(line)): \(message)" : "\(path): \(message)" }
}

/// Every problem of a document, reported together.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// The file the problems are in.
    public var file: String
    public var problems: [ConfigProblem]

    public init(file: String, problems: [ConfigProblem]) {
        self.file = file
        self.problems = problems
    }

    public var description: String {
        let noun = problems.count == 1 ? "problem" : "problems"
        return "\(file): \(problems.count) \(noun)\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}

/// Collects problems while a document is decoded. Used by one validation pass on one task.
public final class ConfigDiagnostics {
    public private(set) var problems: [ConfigProblem] = []

    public init() {}

    public func record(path: String, line: Int, _ message: String) {
        problems.append(ConfigProblem(path: path, line: line, message: message))
    }

    public var isEmpty: Bool { problems.isEmpty }
}
