public import Core
import WireFormats

/// A JSON value built by hand for answers (ordered members, strings escaped),
/// so decimal money and 64-bit counts go out exactly as strings and integers.
public indirect enum JSONAnswer: Sendable, Hashable {
    case string(String)
    case integer(Int64)
    case unsigned(UInt64)
    case bool(Bool)
    case null
    case array([JSONAnswer])
    case object([(String, JSONAnswer)])

    public static func == (lhs: JSONAnswer, rhs: JSONAnswer) -> Bool { lhs.bytes == rhs.bytes }
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        append(to: &out)
        return out
    }

    func append(to out: inout [UInt8]) {
        switch self {
        case .string(let text): JSONText.appendString(text, to: &out)
        case .integer(let value): JSONText.appendSigned(value, to: &out)
        case .unsigned(let value): JSONText.appendUnsigned(value, to: &out)
        case .bool(let value): out.append(contentsOf: Array((value ? "true" : "false").utf8))
        case .null: out.append(contentsOf: Array("null".utf8))
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.append(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendString(member.0, to: &out)
                out.append(UInt8(ascii: ":"))
                member.1.append(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON answer with `status`.
    public func response(_ status: Int = 200) -> PushResponse { .json(status, bytes) }

    /// The platform's error shape: `{"detail": "..."}`.
    public static func detail(_ status: Int, _ message: String, headers: [PushHeaders.Field] = []) -> PushResponse {
        var response = JSONAnswer.object([("detail", .string(message))]).response(status)
        for field in headers { response.headers.append(field.name, field.value) }
        return response
    }
}
