import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import Daemon

/// 405 with `Allow` for a method a known path does not serve, and 415 for a
/// push body that is not JSON or NDJSON (issue 12, item 10).
@Suite("methods and media types")
struct MethodAndMediaTypeTests {
    @Test(
        "a known path asked with another method answers 405 with Allow",
        arguments: [
            ("GET", "/v1/ingest/snapshots", "POST"), ("PUT", "/v1/ingest/snapshots", "POST"),
            ("DELETE", "/healthz", "GET"), ("POST", "/v1/usage", "GET"), ("PATCH", "/v1/status", "GET"),
            ("GET", "/v1/jobs/collect", "POST"),
        ])
    func methodNotAllowed(method: String, path: String, allow: String) async throws {
        try await DaemonHarness.run(
            config: PushIngestTests.config, files: PushIngestTests.files, environment: PushIngestTests.environment
        ) { d in
            let reply = try await d.request(method, path, token: "ops-secret-7f3a-2c9d")
            #expect(reply.status == 405, "\(reply.body)")
            #expect(reply.headers.contains { $0.0.lowercased() == "allow" && $0.1 == allow }, "\(reply.headers)")
            let error = try #require(reply.json["error"] as? [String: String])
            #expect(error["code"] == "method_not_allowed")
            #expect(error["message"]?.contains(method) == true, "\(reply.body)")
            #expect(try await d.request("GET", "/v1/nothing-here").status == 404)
        }
    }

    func push(_ d: DaemonHarness, contentType: String?) async throws -> DaemonHarness.Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(d.port)/v1/ingest/snapshots")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer push-secret-91bc")
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        request.body = .bytes(ByteBuffer(string: PushIngestTests.body))
        let response = try await d.client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return DaemonHarness.Reply(
            status: Int(response.status.code), body: String(buffer: bytes),
            headers: response.headers.map { ($0.name, $0.value) })
    }

    @Test(
        "a push body of another media type is refused with 415 naming the accepted ones; nothing is applied",
        arguments: [
            "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
            "application/json; charset=latin1", "application/jsonx",
        ])
    func unsupportedMediaType(contentType: String) async throws {
        try await DaemonHarness.run(
            config: PushIngestTests.config, files: PushIngestTests.files, environment: PushIngestTests.environment
        ) { d in
            let reply = try await push(d, contentType: contentType)
            #expect(reply.status == 415, "\(reply.body)")
            let error = try #require(reply.json["error"] as? [String: String])
            #expect(error["code"] == "unsupported_media_type")
            #expect(error["message"]?.contains("application/x-ndjson") == true, "\(reply.body)")
            #expect(error["message"]?.contains(contentType) == true, "\(reply.body)")
            // Nothing was applied: the same body as NDJSON still writes its 3 minutes.
            let accepted = try await push(d, contentType: "application/x-ndjson")
            #expect(accepted.status == 200, "\(accepted.body)")
            #expect(accepted.json["written_minutes"] as? Int == 3, "\(accepted.body)")
        }
    }

    @Test(
        "JSON and NDJSON media types, and no Content-Type at all, are accepted",
        arguments: [
            nil, "application/json", "application/json; charset=utf-8", "Application/X-NDJSON",
            "application/jsonl", "application/ndjson; charset=\"UTF-8\"",
        ] as [String?])
    func acceptedMediaTypes(contentType: String?) async throws {
        try await DaemonHarness.run(
            config: PushIngestTests.config, files: PushIngestTests.files, environment: PushIngestTests.environment
        ) { d in
            let reply = try await push(d, contentType: contentType)
            #expect(reply.status == 200, "\(reply.body)")
        }
    }
}
