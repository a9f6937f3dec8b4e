import Core
import Foundation
import TestKit
import Testing

@testable import Daemon

/// The AI platform's usage records through a real daemon into the real
/// PostgreSQL ledger, and its read side back from it.
@Suite(
    "usage_records over HTTP into the ledger")
struct UsageRecordsPushTests {
    static let config = """
        version: 1
        state:
          store: postgres
        sources:
          ai:
            type: usage_records
            max_age: none
            max_body_bytes: 4KiB
            service_types:
              model_inference: { metric: ai.model_inference_tokens, unit_scale: 1 }
              storage_minio: { metric: storage.byte_hours, unit_scale: 1000000000 }
        sinks:
          ledger:
            type: postgres
            database_url_env: LEDGER_URL
        pipelines:
          main:
            sources: [ai]
            sinks: [ledger]
        service:
          listen: 127.0.0.1:0
          tokens:
            - id: ops
              token_env: OPS_TOKEN
              scopes: [billing:read, billing:admin]
            - id: pusher
              token_env: PUSH_TOKEN
              scopes: [ingest]
        """
    static let ops = "ops-secret-9d2c-11ef"
    static let pusher = "push-secret-ai-7731"

    /// Ten minutes ago, to the second: inside the 31 days `records/user` reads.
    static let recent: String = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSinceNow: -600))
    }()

    static func record(_ amount: String, request: String?, user: String = "user-1", at: String = recent)
        -> String
    {
        let key = request.map { #","request_id":"\#($0)""# } ?? ""
        return
            #"{"user_id":"\#(user)","product_id":"gpt-4","service_type":"model_inference","usage_amount":"\#(amount)","billing_method":"wallet_deduction","usage_timestamp":"\#(at)"\#(key)}"#
    }

    @Test(
        "a record lands once; the same request_id and record answer the same and write nothing; another record is 409")
    func idempotent() async throws {
        try await UsageTests.withLedger("usage_records_idem") { database in
            let environment = ["LEDGER_URL": database.url, "OPS_TOKEN": Self.ops, "PUSH_TOKEN": Self.pusher]
            try await DaemonHarness.run(config: Self.config, environment: environment) { d in
                let first = try await d.request(
                    "POST", "/api/v1/usage/record", token: Self.pusher, body: Self.record("1000", request: "req-1"))
                #expect(first.status == 200, "\(first.body)")
                let again = try await d.request(
                    "POST", "/api/v1/usage/record", token: Self.pusher, body: Self.record("1000", request: "req-1"))
                #expect(again.status == 200)
                #expect(again.body == first.body)
                let conflict = try await d.request(
                    "POST", "/api/v1/usage/record", token: Self.pusher, body: Self.record("1001", request: "req-1"))
                #expect(conflict.status == 409)
                let facts = try await TestDatabase.rows(
                    database.url, "SELECT sum(quantity)::text FROM billing.usage_facts WHERE subject = 'user-1'")
                #expect(facts == ["1000"])
                let records = try await d.request("GET", "/api/v1/billing/records/user/user-1", token: Self.ops)
                #expect(records.status == 200, "\(records.body)")
                let rows = records.json["records"] as? [[String: Any]] ?? []
                #expect(rows.first?["quantity"] as? String == "1000")
                let health = try await d.request("GET", "/health")
                #expect(health.status == 200)
                #expect(health.json["status"] as? String == "healthy")
            }
        }
    }

    @Test(
        "request_id outlives the daemon: after a restart a known key with another record is 409, the same record answers the same, nothing is written twice"
    )
    func idempotentAcrossRestart() async throws {
        try await UsageTests.withLedger("usage_records_keys") { database in
            let environment = ["LEDGER_URL": database.url, "OPS_TOKEN": Self.ops, "PUSH_TOKEN": Self.pusher]
            let many = "[" + Self.record("7", request: "req-2") + "," + Self.record("8", request: "req-3") + "]"
            let (first, firstMany) = try await DaemonHarness.run(config: Self.config, environment: environment) { d in
                let one = try await d.request(
                    "POST", "/api/v1/usage/record", token: Self.pusher, body: Self.record("1000", request: "req-1"))
                #expect(one.status == 200, "\(one.body)")
                let body = try await d.request("POST", "/api/v1/usage/records", token: Self.pusher, body: many)
                #expect(body.status == 200, "\(body.body)")
                return (one.body, body.body)
            }
            let keys = try await TestDatabase.rows(
                database.url, "SELECT request_id FROM billing.push_request_keys ORDER BY request_id")
            #expect(keys == ["req-1", "req-2", "req-3"])
            // A new process: nothing of the first one's memory is left.
            try await DaemonHarness.run(config: Self.config, environment: environment) { d in
                let other = try await d.request(
                    "POST", "/api/v1/usage/record", token: Self.pusher, body: Self.record("1001", request: "req-1"))
                #expect(other.status == 409, "\(other.body)")
                #expect(other.json["request_id"] as? String == "req-1")
                let original = other.json["original_digest"] as? String
                #expect(original?.count == 64)
                #expect(original != other.json["digest"] as? String)
                // Another user under the same key would be a new series (and a new fact) without the check.
                let elsewhere = try await d.request(
                    "POST", "/api/v1/usage/record", token: Self.pusher,
                    body: Self.record("1000", request: "req-1", user: "user-9"))
                #expect(elsewhere.status == 409, "\(elsewhere.body)")
                let same = try await d.request(
                    "POST", "/api/v1/usage/record", token: Self.pusher, body: Self.record("1000", request: "req-1"))
                #expect(same.status == 200)
                #expect(same.body == first)
                let sameMany = try await d.request("POST", "/api/v1/usage/records", token: Self.pusher, body: many)
                #expect(sameMany.status == 200)
                #expect(sameMany.body == firstMany)
                // One changed record refuses the whole body, its new record too.
                let mixed =
                    "[" + Self.record("5", request: "req-4") + "," + Self.record("9", request: "req-3") + "]"
                let refused = try await d.request("POST", "/api/v1/usage/records", token: Self.pusher, body: mixed)
                #expect(refused.status == 409, "\(refused.body)")
                #expect(refused.json["request_id"] as? String == "req-3")
            }
            let sums = try await TestDatabase.rows(
                database.url,
                "SELECT subject || '=' || sum(quantity)::text || '/' || count(*)::text FROM billing.usage_facts GROUP BY subject ORDER BY subject"
            )
            #expect(sums == ["user-1=1015/3"])
            let after = try await TestDatabase.rows(
                database.url, "SELECT count(*)::text FROM billing.push_request_keys")
            #expect(after == ["3"])
        }
    }

    @Test("records: all or nothing; a non-whole amount, an unmapped service_type and a wrong scope write nothing")
    func allOrNothing() async throws {
        try await UsageTests.withLedger("usage_records_bad") { database in
            let environment = ["LEDGER_URL": database.url, "OPS_TOKEN": Self.ops, "PUSH_TOKEN": Self.pusher]
            try await DaemonHarness.run(config: Self.config, environment: environment) { d in
                let body = "[" + Self.record("5", request: nil) + "," + Self.record("1.5", request: nil) + "]"
                let bad = try await d.request("POST", "/api/v1/usage/records", token: Self.pusher, body: body)
                #expect(bad.status == 422)
                #expect((bad.json["detail"] as? String)?.hasPrefix("record 1, usage_amount") == true, "\(bad.body)")
                let scope = try await d.request(
                    "POST", "/api/v1/usage/record", token: Self.ops, body: Self.record("5", request: nil))
                #expect(scope.status == 403)
                let big = try await d.request(
                    "POST", "/api/v1/usage/records", token: Self.pusher,
                    body: "[" + Array(repeating: Self.record("1", request: nil), count: 40).joined(separator: ",") + "]"
                )
                #expect(big.status == 413)
                let facts = try await TestDatabase.rows(database.url, "SELECT count(*)::text FROM billing.usage_facts")
                #expect(facts == ["0"])
                let ndjson =
                    Self.record("2", request: "a") + "\n" + Self.record("3", request: "b", user: "user-2") + "\n"
                let ok = try await d.request("POST", "/api/v1/usage/records", token: Self.pusher, body: ndjson)
                #expect(ok.status == 200, "\(ok.body)")
                let sums = try await TestDatabase.rows(
                    database.url,
                    "SELECT subject || '=' || sum(quantity)::text FROM billing.usage_facts GROUP BY subject ORDER BY subject"
                )
                #expect(sums == ["user-1=2", "user-2=3"])
            }
        }
    }

    /// Tokens at 0.002 each; storage with 5 GB-hours included (plan allowance).
    static let priceBook = """
        metrics: [ai.model_inference_tokens, storage.byte_hours]
        version: "2026-01-01"
        effective_from: "2026-01-01T00:00:00Z"
        currency: USD
        minor_units: 2
        rounding: half_even
        prices:
          - metric: ai.model_inference_tokens
            model: per_unit
            unit: 1
            unit_price: "0.002"
          - metric: storage.byte_hours
            model: per_unit
            unit: 1000000000
            unit_price: "0.10"
            allowance: 5
        """

    @Test("calculate: the month's usage so far counts, the allowance makes it included, nothing is written")
    func calculate() async throws {
        try await UsageTests.withLedger("usage_records_quote") { database in
            let environment = ["LEDGER_URL": database.url, "OPS_TOKEN": Self.ops, "PUSH_TOKEN": Self.pusher]
            let config = Self.config + "\nrating:\n  price_book: pricebook.yaml\n"
            try await DaemonHarness.run(
                config: config, files: ["pricebook.yaml": Self.priceBook], environment: environment
            ) { d in
                let recorded = try await d.request(
                    "POST", "/api/v1/usage/record", token: Self.pusher, body: Self.record("1000", request: "q-1"))
                #expect(recorded.status == 200, "\(recorded.body)")
                let quote = try await d.request(
                    "POST", "/api/v1/billing/calculate", token: Self.ops,
                    body:
                        #"{"user_id":"user-1","product_id":"gpt-4","service_type":"model_inference","usage_amount":"1500"}"#
                )
                #expect(quote.status == 200, "\(quote.body)")
                #expect(quote.json["total_cost"] as? String == "3.00")
                #expect(quote.json["unit_price"] as? String == "0.002")
                #expect(quote.json["currency"] as? String == "USD")
                #expect(quote.json["period_quantity"] as? String == "1000")
                #expect(quote.json["is_free_tier"] as? Bool == false)
                #expect(quote.json["is_included_in_subscription"] as? Bool == false)
                let storage = try await d.request(
                    "POST", "/api/v1/billing/calculate", token: Self.ops,
                    body:
                        #"{"user_id":"user-1","product_id":"minio","service_type":"storage_minio","usage_amount":"2"}"#)
                #expect(storage.status == 200, "\(storage.body)")
                #expect(storage.json["total_cost"] as? String == "0.00")
                #expect(storage.json["is_included_in_subscription"] as? Bool == true)
                #expect(storage.json["suggested_billing_method"] as? String == "subscription_included")
                let fraction = try await d.request(
                    "POST", "/api/v1/billing/calculate", token: Self.ops,
                    body:
                        #"{"user_id":"user-1","product_id":"gpt-4","service_type":"model_inference","usage_amount":"0.5"}"#
                )
                #expect(fraction.status == 422)
                let unmapped = try await d.request(
                    "POST", "/api/v1/billing/calculate", token: Self.ops,
                    body: #"{"user_id":"user-1","product_id":"x","service_type":"notification","usage_amount":"1"}"#)
                #expect(unmapped.status == 422)
                let scope = try await d.request(
                    "POST", "/api/v1/billing/calculate", token: Self.pusher,
                    body:
                        #"{"user_id":"user-1","product_id":"gpt-4","service_type":"model_inference","usage_amount":"1"}"#
                )
                #expect(scope.status == 403)
                let facts = try await TestDatabase.rows(
                    database.url, "SELECT sum(quantity)::text FROM billing.usage_facts")
                #expect(facts == ["1000"])
            }
        }
    }
}
