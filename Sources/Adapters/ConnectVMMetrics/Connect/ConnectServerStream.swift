public import Core
public import SwiftProtobuf

/// The Connect server-streaming protocol (UPSTREAMS §7): `application/connect+json`
/// or `+proto`, each message in an envelope (flag byte, 4-byte big-endian
/// length, payload; flag 0x01 compressed), status 200 always, and a last
/// envelope of flag 0x02 holding JSON: `{}` or `{"error": {...}}`.
public enum ConnectServerStream {
    /// Envelope flags.
    public static let compressedFlag: UInt8 = 0x01
    public static let endStreamFlag: UInt8 = 0x02

    /// Reads the request's one enveloped message, asks `open` for the stream
    /// of answers, and sends each as it comes; the end frame follows when the
    /// stream finishes, or with `deadline_exceeded` at `Connect-Timeout-Ms`.
    public static func serve<Request: SwiftProtobuf.Message, Element: SwiftProtobuf.Message>(
        _ request: PushRequest, as _: Request.Type,
        open: @escaping @Sendable (Request) async throws(ConnectError) -> AsyncStream<Element>
    ) async -> PushResponse {
        guard let codec = ConnectCodec(streamContentType: request.headers["Content-Type"]) else {
            let sent = request.headers["Content-Type"].map { "\"\($0)\"" } ?? "none"
            return ConnectError(
                .unimplemented,
                "content type \(sent) is not a Connect streaming codec; send \(ConnectCodec.acceptedStreamTypes)",
                httpStatus: 415, headers: [.init(name: "Accept-Post", value: ConnectCodec.acceptedStreamTypes)]
            ).response
        }
        let answerEncoding = ConnectEncoding(acceptHeader: request.headers.values("Connect-Accept-Encoding"))
        var headers = PushHeaders([.init(name: "Content-Type", value: codec.streamContentType)])
        headers.append("Connect-Accept-Encoding", ConnectEncoding.supported)
        if answerEncoding == .gzip { headers.append("Connect-Content-Encoding", "gzip") }
        let elements: AsyncStream<Element>
        let deadline: ConnectDeadline?
        do throws(ConnectError) {
            let message = try await readMessage(request, codec: codec, as: Request.self)
            deadline = try ConnectDeadline(header: request.headers["Connect-Timeout-Ms"])
            elements = try await open(message)
        } catch {
            return PushResponse(status: 200, headers: headers, body: .bytes(endFrame(error)))
        }
        let frames = AsyncStream<[UInt8]> { continuation in
            let pump = Task {
                for await element in elements {
                    guard !Task.isCancelled else { break }
                    do throws(ConnectError) {
                        continuation.yield(frame(try codec.encode(element), encoding: answerEncoding))
                    } catch {
                        continuation.yield(endFrame(error))
                        continuation.finish()
                        return
                    }
                }
                continuation.yield(endFrame(nil))
                continuation.finish()
            }
            let timer = deadline.map { deadline in
                Task {
                    guard (try? await Task.sleep(for: .milliseconds(deadline.milliseconds))) != nil else { return }
                    continuation.yield(
                        endFrame(
                            ConnectError(
                                .deadlineExceeded, "the stream reached Connect-Timeout-Ms \(deadline.milliseconds)")))
                    continuation.finish()
                    pump.cancel()
                }
            }
            continuation.onTermination = { _ in
                pump.cancel()
                timer?.cancel()
            }
        }
        return PushResponse(status: 200, headers: headers, body: .stream(frames))
    }

    static func readMessage<Request: SwiftProtobuf.Message>(
        _ request: PushRequest, codec: ConnectCodec, as _: Request.Type
    ) async throws(ConnectError) -> Request {
        if let version = request.headers["Connect-Protocol-Version"], version != "1" {
            throw ConnectError(.invalidArgument, "Connect-Protocol-Version \"\(version)\" is not 1")
        }
        let encoding = try ConnectEncoding(requestHeader: request.headers["Connect-Content-Encoding"])
        let body: [UInt8]
        do {
            body = try await request.collectBody()
        } catch {
            throw ConnectError(error)
        }
        guard body.count >= 5 else {
            throw ConnectError(.invalidArgument, "the body is \(body.count) bytes, shorter than one envelope (5)")
        }
        let flags = body[0]
        let length = Int(body[1]) << 24 | Int(body[2]) << 16 | Int(body[3]) << 8 | Int(body[4])
        guard body.count == 5 + length else {
            throw ConnectError(
                .invalidArgument,
                "the envelope declares \(length) bytes but \(body.count - 5) follow; a server stream takes one message")
        }
        var payload = Array(body[5...])
        if flags & compressedFlag != 0 {
            guard encoding != .identity else {
                throw ConnectError(
                    .invalidArgument, "the envelope is flagged compressed without Connect-Content-Encoding")
            }
            payload = try encoding.decode(payload, limit: request.route.maxBodyBytes)
        }
        return try codec.decode(Request.self, from: payload)
    }

    /// One message envelope, compressed (flag 0x01) when the client accepts gzip.
    public static func frame(_ payload: [UInt8], encoding: ConnectEncoding) -> [UInt8] {
        if encoding == .gzip, let compressed = encoding.encode(payload) {
            return envelope(flags: compressedFlag, compressed)
        }
        return envelope(flags: 0, payload)
    }

    /// The end-of-stream envelope: `{}`, or `{"error": {...}}`. Never compressed.
    public static func endFrame(_ error: ConnectError?) -> [UInt8] {
        var json: [UInt8] = Array("{".utf8)
        if let error {
            json += Array(#""error":"#.utf8)
            json += error.json
        }
        json.append(UInt8(ascii: "}"))
        return envelope(flags: endStreamFlag, json)
    }

    static func envelope(flags: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let length = UInt32(truncatingIfNeeded: payload.count)
        var out: [UInt8] = [
            flags, UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF),
            UInt8(length & 0xFF),
        ]
        out.reserveCapacity(5 + payload.count)
        out += payload
        return out
    }
}
