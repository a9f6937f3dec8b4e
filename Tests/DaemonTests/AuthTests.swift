import Core
import Foundation
import Host
import Testing

@testable import Daemon

@Suite("bearer auth and scopes")
struct AuthTests {
    @Test(
        "missing or unknown tokens answer 401, a token without the scope 403, each with a JSON error",
        arguments: [
            ("GET", "/v1/status", nil, 401),
            ("GET", "/v1/status", "wrong", 401),
            ("GET", "/v1/status", "push-secret-91bc", 403),
            ("GET", "/v1/status", "ops-secret-7f3a-2c9d", 200),
            ("POST", "/v1/ingest/snapshots", "ops-secret-7f3a-2c9d", 403),
            ("POST", "/v1/jobs/collect", "push-secret-91bc", 403),
            ("POST", "/v1/jobs/collect", nil, 401),
            ("GET", "/v1/usage?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z", "push-secret-91bc", 403),
            ("GET", "/healthz", nil, 200),
            ("GET", "/readyz", nil, 200),
            ("GET", "/metrics", nil, 200),
        ] as [(String, String, String?, Int)])
    func scopes(method: String, path: String, token: String?, expected: Int) async throws {
        try await DaemonHarness.run(
            config: PushIngestTests.config, files: PushIngestTests.files, environment: PushIngestTests.environment
        ) { d in
            let reply = try await d.request(method, path, token: token)
            #expect(reply.status == expected, "\(reply.body)")
            if expected == 401 || expected == 403 {
                let error = try #require(reply.json["error"] as? [String: String], "\(reply.body)")
                #expect(error["code"] == (expected == 401 ? "unauthorized" : "forbidden"))
                #expect(error["message"]?.isEmpty == false)
                #expect(!reply.body.contains("secret"), "an error must not echo a token")
            }
        }
    }

    @Test("a token whose environment variable is unset refuses to start, naming the token and the variable")
    func unsetToken() async throws {
        await #expect {
            try await DaemonHarness.run(config: PushIngestTests.config, files: PushIngestTests.files) { _ in }
        } throws: { error in
            "\(error)".contains("ops") && "\(error)".contains("OPS_TOKEN")
        }
    }

    @Test("the constant-time check matches only the exact token")
    func exactMatch() throws {
        let authenticator = Authenticator(
            entries: [
                .init(id: "a", digest: Authenticator.digest(Array("abc".utf8)), scopes: [.read]),
                .init(id: "b", digest: Authenticator.digest(Array("abcd".utf8)), scopes: [.ingest]),
            ])
        #expect(try authenticator.authorize("Bearer abc", scope: .read) == "a")
        #expect(try authenticator.authorize("bearer abcd", scope: .ingest) == "b")
        #expect(throws: Authenticator.Refusal.unauthenticated("unknown bearer token")) {
            try authenticator.authorize("Bearer ab", scope: .read)
        }
        #expect(throws: Authenticator.Refusal.forbidden("token a lacks scope ingest")) {
            try authenticator.authorize("Bearer abc", scope: .ingest)
        }
    }
}
