import Foundation

/// A source's opaque resume position, stored by the state store as JSON text.
///
/// Each adapter encodes its own `Codable` position into it (file + byte offset,
/// window end, generator step); the host never looks inside.
public struct SourceCursor: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Compact JSON of the adapter's position type.
    public var json: String

    public init(json: String) { self.json = json }

    public init<Position: Encodable>(encoding position: Position) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self.json = String(decoding: try encoder.encode(position), as: UTF8.self)
    }

    public func decode<Position: Decodable>(as type: Position.Type) throws -> Position {
        try JSONDecoder().decode(type, from: Data(json.utf8))
    }

    public var description: String { json }

    public init(from decoder: any Decoder) throws {
        // Stored inline as a JSON value (not a string) so state files stay readable.
        let c = try decoder.singleValueContainer()
        let value = try c.decode(JSONValue.self)
        self.json = value.compactText
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        try c.encode(value)
    }
}

/// A generic JSON value, used to embed a cursor's JSON inside other JSON documents.
enum JSONValue: Codable, Hashable {
    case null, bool(Bool), int(Int64), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .int(i)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else if let o = try? c.decode([String: JSONValue].self) {
            self = .object(o)
        } else {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "cursor JSON may hold only null, bool, integer, string, array, object")
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    var compactText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "null"
    }
}
