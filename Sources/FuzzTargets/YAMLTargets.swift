internal import Core
internal import Host
internal import Rating
internal import YAMLConfig

/// Entries for the YAML documents an operator or finance writes: plugins.yaml
/// and price books. Invariant: every problem names a line of the document (or
/// line 0, outside it) and says something.
enum YAMLTargets {
    static func config(_ bytes: UnsafeRawBufferPointer, registry: PluginRegistry, context: PluginContext)
        throws(FuzzInvariantViolation) -> FuzzOutcome
    {
        guard let text = String(validating: bytes, as: UTF8.self) else { return .refused }
        let root: ConfigNode
        do { root = try YAMLDocument.parse(text, file: "plugins.yaml") } catch {
            try located(.config, error, lines: lineCount(bytes))
            return .refused
        }
        do {
            _ = try ConfigLoader(registry: registry).load(root: root, file: "plugins.yaml", context: context)
        } catch {
            // Problems of a referenced file (the price book, which does not exist here) have their own lines.
            for configError in error.errors where configError.file == "plugins.yaml" {
                try located(.config, configError, lines: lineCount(bytes))
            }
            guard error.problemCount > 0 else {
                throw FuzzInvariantViolation(.config, "refused without naming a problem")
            }
            return .refused
        }
        return .accepted
    }

    static func priceBook(_ bytes: UnsafeRawBufferPointer) throws(FuzzInvariantViolation) -> FuzzOutcome {
        guard let text = String(validating: bytes, as: UTF8.self) else { return .refused }
        do {
            let root = try YAMLDocument.parse(text, file: "pricebook.yaml")
            _ = try PriceCatalog.decode(root, file: "pricebook.yaml")
        } catch {
            try located(.priceBook, error, lines: lineCount(bytes))
            return .refused
        }
        return .accepted
    }

    static func located(_ target: FuzzTarget, _ error: ConfigError, lines: Int) throws(FuzzInvariantViolation) {
        guard !error.problems.isEmpty else { throw FuzzInvariantViolation(target, "an error without a problem") }
        for problem in error.problems {
            guard problem.line >= 0, problem.line <= lines + 1, !problem.message.isEmpty else {
                throw FuzzInvariantViolation(target, "problem outside the \(lines)-line document: \(problem)")
            }
        }
    }

    /// Lines as YAML counts them: LF, CR and CRLF each end one.
    static func lineCount(_ bytes: UnsafeRawBufferPointer) -> Int {
        var lines = 1
        for (i, byte) in bytes.enumerated() {
            if byte == 0x0A, i > 0, bytes[i - 1] == 0x0D { continue }
            if byte == 0x0A || byte == 0x0D { lines += 1 }
        }
        return lines
    }
}
