public import Core
import Foundation
import Yams

/// Parses YAML text into a `ConfigNode` tree that keeps every node's line.
///
/// Exists so config and price book errors can name the YAML path and line, which
/// `Decodable` over Yams cannot do.
public enum YAMLDocument {
    /// Parses `text`; a syntax error becomes a `ConfigError` with the parser's line.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> ConfigNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(file: file, problems: [Self.problem(from: error)])
        } catch {
            throw ConfigError(file: file, problems: [ConfigProblem(path: "", line: 1, message: "\(error)")])
        }
        guard let root else { return ConfigNode(.null, line: 1) }
        return convert(root)
    }

    /// Reads and parses a file.
    public static func load(path: String) throws(ConfigError) -> ConfigNode {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(
                file: path, problems: [ConfigProblem(path: "", line: 0, message: "cannot read the file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, problems: [ConfigProblem(path: "", line: 0, message: "not UTF-8 text")])
        }
        return try parse(text, file: path)
    }

    static func convert(_ node: Node) -> ConfigNode {
        let line = node.mark?.line ?? 0
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) {
                return ConfigNode(.null, line: line)
            }
            return ConfigNode(.scalar(scalar.string), line: line)
        case .sequence(let sequence):
            return ConfigNode(.sequence(sequence.map(convert)), line: line)
        case .mapping(let mapping):
            let entries = mapping.map { pair in
                ConfigNode.Entry(
                    key: pair.key.string ?? "\(pair.key)", keyLine: pair.key.mark?.line ?? line,
                    value: convert(pair.value))
            }
            return ConfigNode(.mapping(entries), line: line)
        case .alias:
            return ConfigNode(.null, line: line)
        }
    }

    static func problem(from error: YamlError) -> ConfigProblem {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return syntaxProblem(context: context, problem: problem, mark: mark)
        default:
            return ConfigProblem(path: "", line: 1, message: "YAML syntax: \(error)")
        }
    }

    /// libyaml reports two places: where it gave up (`mark`) and where the
    /// construct it was reading began (`context.mark`). When it gave up at the
    /// end of the stream (an unterminated quote or bracket) the first is the
    /// file's last line and says nothing; the start is where the mistake is.
    static func syntaxProblem(context: YamlError.Context?, problem: String, mark: Mark) -> ConfigProblem {
        guard let context else {
            return ConfigProblem(path: "", line: mark.line, message: "YAML syntax: \(problem)")
        }
        if problem.contains("end of stream"), context.mark.line > 0 {
            return ConfigProblem(
                path: "", line: context.mark.line,
                message: "YAML syntax: \(problem) \(context.text) that starts at line \(context.mark.line), "
                    + "column \(context.mark.column) (never closed)")
        }
        return ConfigProblem(
            path: "", line: mark.line,
            message: "YAML syntax: \(problem) \(context.text) (started at line \(context.mark.line))")
    }
}
