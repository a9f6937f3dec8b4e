import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One answer of a daemon that runs as a separate process (the outage and
/// standby tests): status, `Retry-After` and body, from a client of its own
/// per call, so a test never shares one with a process it kills.
struct HTTPAnswer {
    var status: Int
    var retryAfter: String?
    var body: String
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
    }

    /// `method path` on 127.0.0.1:`port`, with a bearer token and an NDJSON body when given.
    static func fetch(_ method: HTTPMethod, port: Int, _ path: String, token: String? = nil, body: String? = nil)
        async throws -> HTTPAnswer
    {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = client.shutdown() }
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/x-ndjson")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return HTTPAnswer(
            status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"),
            body: String(buffer: bytes))
    }
}
