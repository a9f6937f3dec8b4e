import NIOCore
import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 connection to the daemon under load, one request at
/// a time, written straight on a NIO channel.
///
/// Exists because the load client shares the machine's two cores with the
/// daemon and PostgreSQL: every microsecond the client spends per request is
/// taken from the server it measures. AsyncHTTPClient's pool, redirect and
/// body-streaming machinery cost more CPU per request than Hummingbird's
/// handling of it; this connection does only what wrk does (write the request,
/// read the response's status and body, reuse the socket).
struct LoopbackHTTPConnection {
    /// A response's status and body size; the body itself is read and dropped.
    struct Response {
        var status: HTTPResponseStatus
        var bodyBytes: Int
    }

    private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    private let host: String

    /// Runs `body` with a connection to 127.0.0.1:`port`, closed when it returns.
    static func with<T: Sendable>(
        port: Int, _ body: (inout LoopbackHTTPConnection) async throws -> T
    ) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = LoopbackHTTPConnection(
                inbound: inbound.makeAsyncIterator(), outbound: outbound, host: "127.0.0.1:\(port)")
            return try await body(&connection)
        }
    }

    private init(
        inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>, host: String
    ) {
        self.inbound = inbound
        self.outbound = outbound
        self.host = host
    }

    /// Sends one request and reads its whole response.
    mutating func send(
        _ method: HTTPMethod, _ uri: String, headers: [(String, String)], body: ByteBuffer? = nil
    ) async throws -> Response {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
        head.headers.add(name: "Host", value: host)
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if let body { head.headers.add(name: "Content-Length", value: String(body.readableBytes)) }
        try await outbound.write(.head(head))
        if let body { try await outbound.write(.body(.byteBuffer(body))) }
        try await outbound.write(.end(nil))

        var status: HTTPResponseStatus?
        var size = 0
        while let part = try await inbound.next() {
            switch part {
            case .head(let response):
                status = response.status
            case .body(let chunk):
                size += chunk.readableBytes
            case .end:
                guard let status else { throw BenchError(message: "\(method) \(uri): a response with no head") }
                return Response(status: status, bodyBytes: size)
            }
        }
        throw BenchError(message: "\(method) \(uri): the server closed the connection mid-response")
    }
}
