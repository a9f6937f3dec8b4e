/// JSON string escaping (RFC 8259) for the human-facing JSON reports (`rate`,
/// `price`, `usage`): one place, so every report escapes labels the same way.
public enum JSONString {
    /// `text` as a JSON string literal, with its quotes.
    public static func quoted(_ text: String) -> String { "\"" + escaped(text) + "\"" }

    /// `text` with quote, backslash and control characters escaped (no surrounding quotes).
    public static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
