public import Core
import WireFormats

/// A refused Connect call: its code, a message naming where and why, and the
/// HTTP status (the code's, unless the wire needs another: 413, 415).
public struct ConnectError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: ConnectCode
    public var message: String
    /// The unary answer's status; the code's by default.
    public var httpStatus: Int
    /// Extra answer headers (`Accept-Post` on 415, `Retry-After` on 503).
    public var headers: [PushHeaders.Field]

    public init(_ code: ConnectCode, _ message: String, httpStatus: Int? = nil, headers: [PushHeaders.Field] = []) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus ?? code.httpStatus
        self.headers = headers
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// `{"code": "...", "message": "..."}`, the body of a unary error and the
    /// `error` member of a stream's end frame.
    public var json: [UInt8] {
        var out: [UInt8] = []
        out.append(contentsOf: #"{"code":"#.utf8)
        JSONText.appendString(code.rawValue, to: &out)
        out.append(contentsOf: #","message":"#.utf8)
        JSONText.appendString(message, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The unary answer: the status, `Content-Type: application/json`, the error JSON.
    public var response: PushResponse {
        var headers = PushHeaders([.init(name: "Content-Type", value: "application/json")])
        for field in self.headers { headers.append(field.name, field.value) }
        return PushResponse(status: httpStatus, headers: headers, body: .bytes(json))
    }

    /// A daemon rejection of the body (413 over the limit, 400 a broken connection).
    public init(_ rejection: PushRejection) {
        switch rejection.status {
        case 413: self.init(.resourceExhausted, rejection.message, httpStatus: 413)
        case 415: self.init(.invalidArgument, rejection.message, httpStatus: 415)
        default: self.init(.invalidArgument, rejection.message)
        }
    }

    /// A batch the pipeline did not commit: `unavailable` (503, `Retry-After`)
    /// when a retry can help, `internal` otherwise.
    public init(_ failure: PushSubmitFailure) {
        if failure.isRetryable {
            self.init(
                .unavailable, failure.message,
                headers: [.init(name: "Retry-After", value: String(failure.retryAfterSeconds))])
        } else {
            self.init(.internal, failure.message)
        }
    }
}
