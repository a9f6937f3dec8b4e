public import Core
public import SwiftProtobuf

/// The Connect unary protocol over one push request (UPSTREAMS §7): codec by
/// `Content-Type` (415 with `Accept-Post` for another), `Connect-Protocol-Version`,
/// `Connect-Timeout-Ms`, gzip or identity bodies, `Accept-Encoding` on the
/// answer, whose content type is the request's.
public enum ConnectUnary {
    /// Reads, inflates and decodes the request, runs `handler`, and encodes its
    /// answer; every failure is a Connect error answer.
    public static func serve<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ request: PushRequest, as _: Request.Type,
        handler: @escaping @Sendable (Request) async throws(ConnectError) -> Response
    ) async -> PushResponse {
        guard let codec = ConnectCodec(unaryContentType: request.headers["Content-Type"]) else {
            let sent = request.headers["Content-Type"].map { "\"\($0)\"" } ?? "none"
            return ConnectError(
                .unimplemented,
                "content type \(sent) is not a Connect unary codec; send \(ConnectCodec.acceptedUnaryTypes)",
                httpStatus: 415, headers: [.init(name: "Accept-Post", value: ConnectCodec.acceptedUnaryTypes)]
            ).response
        }
        do throws(ConnectError) {
            let message = try await readMessage(request, codec: codec, as: Request.self)
            let deadline = try ConnectDeadline(header: request.headers["Connect-Timeout-Ms"])
            let work: @Sendable () async -> Result<Response, ConnectError> = {
                do throws(ConnectError) { return .success(try await handler(message)) } catch { return .failure(error) }
            }
            let result: Result<Response, ConnectError>
            if let deadline {
                result = await deadline.race(work)
            } else {
                result = await work()
            }
            let answer = try result.get()
            return try respond(answer, codec: codec, accept: request.headers.values("Accept-Encoding"))
        } catch {
            return error.response
        }
    }

    /// The request's message: protocol version checked, body read with the
    /// route's limit, inflated (no more than the limit) and decoded.
    static func readMessage<Request: SwiftProtobuf.Message>(
        _ request: PushRequest, codec: ConnectCodec, as _: Request.Type
    ) async throws(ConnectError) -> Request {
        if let version = request.headers["Connect-Protocol-Version"], version != "1" {
            throw ConnectError(.invalidArgument, "Connect-Protocol-Version \"\(version)\" is not 1")
        }
        let encoding = try ConnectEncoding(requestHeader: request.headers["Content-Encoding"])
        let body: [UInt8]
        do {
            body = try await request.collectBody()
        } catch {
            throw ConnectError(error)
        }
        let inflated = try encoding.decode(body, limit: request.route.maxBodyBytes)
        return try codec.decode(Request.self, from: inflated)
    }

    /// 200 with the encoded message, gzipped when the client accepts it.
    static func respond<Response: SwiftProtobuf.Message>(
        _ message: Response, codec: ConnectCodec, accept: [String]
    ) throws(ConnectError) -> PushResponse {
        let bytes = try codec.encode(message)
        var headers = PushHeaders([.init(name: "Content-Type", value: codec.unaryContentType)])
        headers.append("Accept-Encoding", ConnectEncoding.supported)
        let encoding = ConnectEncoding(acceptHeader: accept)
        if encoding == .gzip, let compressed = encoding.encode(bytes) {
            headers.append("Content-Encoding", "gzip")
            return PushResponse(status: 200, headers: headers, body: .bytes(compressed))
        }
        return PushResponse(status: 200, headers: headers, body: .bytes(bytes))
    }
}
