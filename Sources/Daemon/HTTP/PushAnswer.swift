import Core
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Answers in a push source's terms (`PushResponse`) built from the daemon's
/// JSON bodies, and the conversion of a `PushResponse` to the server's.
enum PushAnswer {
    /// `value` as the daemon's JSON (sorted keys, trailing newline).
    static func json(_ value: some Encodable, status: Int = 200) -> PushResponse {
        do {
            var bytes = [UInt8](try JSONResponse.encoder().encode(value))
            bytes.append(UInt8(ascii: "\n"))
            return PushResponse(
                status: status, headers: PushHeaders([.init(name: "Content-Type", value: "application/json; charset=utf-8")]),
                body: .bytes(bytes))
        } catch {
            return self.error(500, code: "encoding_failed", "could not encode the response: \(error)")
        }
    }

    /// The daemon's one error body.
    static func error(_ status: Int, code: String, _ message: String) -> PushResponse {
        json(JSONResponse.ErrorBody(error: .init(code: code, message: message)), status: status)
    }

    /// The server's response for `answer`.
    static func response(_ answer: PushResponse) -> Response {
        var headers = HTTPFields()
        for field in answer.headers {
            if let name = HTTPField.Name(field.name) { headers.append(HTTPField(name: name, value: field.value)) }
        }
        let status = HTTPResponse.Status(code: answer.status)
        switch answer.body {
        case .bytes(let bytes):
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        case .stream(let chunks):
            return Response(
                status: status, headers: headers,
                body: ResponseBody { writer in
                    for await chunk in chunks { try await writer.write(ByteBuffer(bytes: chunk)) }
                    try await writer.finish(nil)
                })
        }
    }
}

/// A request body as a push source reads it: at most the limit, 413 past it.
struct HummingbirdPushBody: PushRequestBody {
    let body: RequestBody

    func collect(upTo limit: Int) async throws(PushRejection) -> [UInt8] {
        do {
            var buffer = try await body.collect(upTo: limit)
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw PushRejection.tooLarge(limit: limit)
        } catch {
            throw PushRejection(status: 400, code: "bad_request", "reading the body: \(error)")
        }
    }
}
