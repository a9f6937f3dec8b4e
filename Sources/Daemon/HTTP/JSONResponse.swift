import Foundation
public import Hummingbird

/// JSON responses and the one error body every failure uses:
/// `{"error": {"code": "forbidden", "message": "token ops lacks scope ingest"}}`.
public enum JSONResponse {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        do {
            return text(String(decoding: try encoder().encode(value), as: UTF8.self), status: status)
        } catch {
            return self.error(.internalServerError, code: "encoding_failed", "could not encode the response: \(error)")
        }
    }

    /// A rendered JSON document's bytes, sent as they are (they end with a newline).
    public static func bytes(_ json: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        response(ByteBuffer(bytes: json), status: status)
    }

    /// A body that is already JSON text.
    public static func text(_ json: String, status: HTTPResponse.Status = .ok) -> Response {
        response(ByteBuffer(string: json.hasSuffix("\n") ? json : json + "\n"), status: status)
    }

    private static func response(_ body: ByteBuffer, status: HTTPResponse.Status) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: body))
    }

    struct ErrorBody: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
        }
        var error: Detail
    }

    public static func error(_ status: HTTPResponse.Status, code: String, _ message: String) -> Response {
        make(ErrorBody(error: .init(code: code, message: message)), status: status)
    }
}
