import Foundation
public import SwiftProtobuf

/// How a Connect message is serialized: proto3 canonical JSON or binary
/// protobuf. Chosen by the request's content type; the answer uses the same.
public enum ConnectCodec: String, Sendable, Hashable, CaseIterable {
    case json
    case proto

    /// The unary media type (`application/json`, `application/proto`).
    public var unaryContentType: String { "application/\(rawValue)" }
    /// The streaming media type (`application/connect+json`, `application/connect+proto`).
    public var streamContentType: String { "application/connect+\(rawValue)" }

    /// The `Accept-Post` value of a 415 for a unary route.
    public static let acceptedUnaryTypes = "application/json, application/proto"
    /// The `Accept-Post` value of a 415 for a streaming route.
    public static let acceptedStreamTypes = "application/connect+json, application/connect+proto"

    /// The codec of a unary request's `Content-Type` (parameters such as
    /// `charset=utf-8` ignored); nil: another codec, answered 415.
    public init?(unaryContentType value: String?) {
        switch Self.mediaType(value) {
        case "application/json": self = .json
        case "application/proto": self = .proto
        default: return nil
        }
    }

    /// The codec of a streaming request's `Content-Type`; nil: another codec.
    public init?(streamContentType value: String?) {
        switch Self.mediaType(value) {
        case "application/connect+json": self = .json
        case "application/connect+proto": self = .proto
        default: return nil
        }
    }

    static func mediaType(_ value: String?) -> String? {
        guard let value else { return nil }
        let type = value.split(separator: ";", maxSplits: 1).first.map(String.init) ?? value
        return type.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// Decodes one message. JSON accepts lowerCamelCase and original field
    /// names, int64 as a string or a number, and ignores unknown fields (a
    /// newer client's additions); anything malformed is `invalid_argument`.
    public func decode<M: SwiftProtobuf.Message>(_ type: M.Type, from bytes: [UInt8]) throws(ConnectError) -> M {
        do {
            switch self {
            case .json:
                var options = JSONDecodingOptions()
                options.ignoreUnknownFields = true
                // An empty body is the empty message (Connect: never inflate or
                // parse an empty body; proto3 JSON needs at least `{}`).
                if bytes.isEmpty { return M() }
                return try M(jsonUTF8Bytes: bytes, options: options)
            case .proto:
                return try M(serializedBytes: bytes)
            }
        } catch {
            throw ConnectError(
                .invalidArgument, "the \(rawValue) body is not a valid \(M.protoMessageName): \(error)")
        }
    }

    /// Encodes one message (JSON: lowerCamelCase names, int64 as strings, the
    /// canonical mapping every Connect client reads).
    public func encode<M: SwiftProtobuf.Message>(_ message: M) throws(ConnectError) -> [UInt8] {
        do {
            switch self {
            case .json: return try message.jsonUTF8Bytes()
            case .proto: return try message.serializedBytes()
            }
        } catch {
            throw ConnectError(.internal, "cannot encode \(M.protoMessageName) as \(rawValue): \(error)")
        }
    }
}
