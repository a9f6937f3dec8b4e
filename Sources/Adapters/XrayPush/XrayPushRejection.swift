/// Why a pushed body was refused as a whole (nothing of it is applied).
public struct XrayPushRejection: Error, Hashable, Sendable, CustomStringConvertible {
    /// Which HTTP answer the refusal maps to.
    public enum Kind: Sendable, Hashable {
        /// Over `max_body_bytes` (HTTP 413).
        case tooLarge
        /// Malformed JSON or a snapshot the source refuses (HTTP 422).
        case invalid
    }

    public var kind: Kind
    public var message: String
    /// 1-based line and byte column of the offending input, when known.
    public var line: Int?
    public var column: Int?
    /// The 0-based index of the offending snapshot in the body, when known.
    public var snapshot: Int?
    /// The field path inside that snapshot, when known.
    public var field: String?

    public init(
        _ kind: Kind, _ message: String, line: Int? = nil, column: Int? = nil, snapshot: Int? = nil,
        field: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
        self.snapshot = snapshot
        self.field = field
    }

    public var description: String {
        var parts: [String] = []
        if let line, let column { parts.append("line \(line), column \(column)") }
        var context: [String] = []
        if let snapshot { context.append("snapshot \(snapshot)") }
        if let field { context.append(field) }
        let location = parts.joined() + (context.isEmpty ? "" : " (" + context.joined(separator: ", ") + ")")
        return location.isEmpty ? message : location.trimmingLeadingSpace() + ": " + message
    }
}

extension String {
    fileprivate func trimmingLeadingSpace() -> String {
        String(drop { $0 == " " })
    }
}
