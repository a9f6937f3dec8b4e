import Core
import Foundation
import TestKit
import Testing

@testable import Daemon

/// Group commit of pushes (`SubmitGroup`): concurrent requests of one source
/// share a batch and its transaction, every request is answered once its
/// facts are durable, and one request's bad data refuses only that request.
@Suite("group commit of concurrent pushes into the ledger")
struct GroupCommitTests {
    static let config = """
        version: 1
        state:
          store: postgres
        sources:
          ai:
            type: usage_records
            max_age: none
            service_types:
              model_inference: { metric: ai.model_inference_tokens, unit_scale: 1 }
        sinks:
          ledger:
            type: postgres
            database_url_env: LEDGER_URL
        pipelines:
          main:
            sources: [ai]
            sinks: [ledger]
        rating:
          price_book: pricebook.yaml
        service:
          listen: 127.0.0.1:0
          # A loaded CI machine can take longer than the default 10 s; a 503 here would be the timeout, not the group.
          push_commit_timeout: 120s
          tokens:
            - id: pusher
              token_env: PUSH_TOKEN
              scopes: [ingest]
        """
    /// A token costs a billion: the largest 64-bit amount is out of the ledger's money range.
    static let priceBook = """
        metrics: [ai.model_inference_tokens]
        version: "2026-01-01"
        effective_from: "2026-01-01T00:00:00Z"
        currency: USD
        minor_units: 2
        prices:
          - metric: ai.model_inference_tokens
            model: per_unit
            unit: 1
            unit_price: "1000000000"
        """
    static let pusher = "push-secret-group-5150"

    static func record(user: String, amount: String) -> String {
        #"{"user_id":"\#(user)","product_id":"gpt-4","service_type":"model_inference","usage_amount":"\#(amount)","billing_method":"wallet_deduction","usage_timestamp":"2026-01-01T00:00:30Z"}"#
    }

    @Test(
        "40 records from 8 concurrent clients: all answered 200, all in the ledger once, in fewer transactions than requests"
    )
    func concurrentRequestsShareTransactions() async throws {
        try await UsageTests.withLedger("group_commit") { database in
            let environment = ["LEDGER_URL": database.url, "PUSH_TOKEN": Self.pusher]
            try await DaemonHarness.run(
                config: Self.config, files: ["pricebook.yaml": Self.priceBook], environment: environment
            ) { d in
                // 8 clients (the HTTP client's connections per host), 5 requests each in turn.
                let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
                    for client in 0..<8 {
                        group.addTask {
                            var statuses: [Int] = []
                            for round in 0..<5 {
                                let user = client * 5 + round
                                statuses.append(
                                    try await d.request(
                                        "POST", "/api/v1/usage/record", token: Self.pusher,
                                        body: Self.record(user: "user-\(user)", amount: "\(user + 1)")
                                    ).status)
                            }
                            return statuses
                        }
                    }
                    var all: [Int] = []
                    for try await part in group { all += part }
                    return all
                }
                #expect(statuses == Array(repeating: 200, count: 40))
                let total = try await TestDatabase.rows(
                    database.url, "SELECT count(*)::text || ' ' || sum(quantity)::text FROM billing.usage_facts")
                #expect(total == ["40 820"])  // 1 + 2 + … + 40
                let batches = try await TestDatabase.rows(
                    database.url, "SELECT count(*)::text FROM billing.batch_log WHERE pipeline = 'main'")
                let count = Int(batches.first ?? "") ?? 0
                #expect(count >= 1 && count < 40, "40 requests took \(count) transactions")
            }
        }
    }

    @Test("one request that cannot be rated among concurrent ones: only it is refused, the others land")
    func badRequestRefusedAlone() async throws {
        try await UsageTests.withLedger("group_commit_bad") { database in
            let environment = ["LEDGER_URL": database.url, "PUSH_TOKEN": Self.pusher]
            try await DaemonHarness.run(
                config: Self.config, files: ["pricebook.yaml": Self.priceBook], environment: environment
            ) { d in
                let answers = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                    for user in 0..<8 {
                        group.addTask {
                            let amount = user == 5 ? "18446744073709551615" : "\(user + 1)"
                            let reply = try await d.request(
                                "POST", "/api/v1/usage/record", token: Self.pusher,
                                body: Self.record(user: "user-\(user)", amount: amount))
                            return (user, reply.status)
                        }
                    }
                    var all: [Int: Int] = [:]
                    for try await (user, status) in group { all[user] = status }
                    return all
                }
                #expect(answers[5] == 500, "\(answers)")
                #expect(answers.filter { $0.key != 5 }.values.allSatisfy { $0 == 200 }, "\(answers)")
                let users = try await TestDatabase.rows(
                    database.url, "SELECT subject FROM billing.usage_facts ORDER BY subject")
                #expect(users == (0..<8).filter { $0 != 5 }.map { "user-\($0)" }.sorted())
            }
        }
    }

    @Test("eight concurrent records under one request_id, each another record: one lands, seven are 409, one fact")
    func concurrentRequestsUnderOneKey() async throws {
        try await UsageTests.withLedger("group_commit_keys") { database in
            let environment = ["LEDGER_URL": database.url, "PUSH_TOKEN": Self.pusher]
            try await DaemonHarness.run(
                config: Self.config, files: ["pricebook.yaml": Self.priceBook], environment: environment
            ) { d in
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for user in 0..<8 {
                        group.addTask {
                            let body = Self.record(user: "user-\(user)", amount: "\(user + 1)")
                                .replacingOccurrences(of: "}", with: #","request_id":"shared-1"}"#)
                            return try await d.request("POST", "/api/v1/usage/record", token: Self.pusher, body: body)
                                .status
                        }
                    }
                    var all: [Int] = []
                    for try await status in group { all.append(status) }
                    return all.sorted()
                }
                #expect(statuses == [200] + Array(repeating: 409, count: 7))
                let facts = try await TestDatabase.rows(database.url, "SELECT count(*)::text FROM billing.usage_facts")
                #expect(facts == ["1"])
                let keys = try await TestDatabase.rows(
                    database.url, "SELECT request_id FROM billing.push_request_keys")
                #expect(keys == ["shared-1"])
            }
        }
    }
}
