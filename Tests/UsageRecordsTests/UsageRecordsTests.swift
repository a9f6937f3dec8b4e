import Core
import Foundation
import Testing
import YAMLConfig

@testable import UsageRecords

@Suite("usage_records: ingest, idempotency and refusals")
struct UsageRecordsIngestTests {
    static let now = Timestamp(secondsSinceEpoch: 1_767_225_600)  // 2026-01-01T00:00:00Z

    static func source() -> UsageRecordsSource {
        UsageRecordsSource(
            id: "ai",
            settings: UsageRecordsSettings(
                serviceTypes: [
                    "model_inference": .init(
                        mapping: .init(metric: "ai.model_inference_tokens", unitScale: 1),
                        products: ["gpt-4": .init(metric: "ai.gpt4_tokens", unitScale: 1)]),
                    "storage_minio": .init(mapping: .init(metric: "storage.byte_hours", unitScale: 1_000_000_000)),
                ], maxBodyBytes: 4096))
    }

    static func post(
        _ source: UsageRecordsSource, _ path: String, _ body: String, context: TestPushContext
    ) async throws -> PushResponse {
        let route = try #require(PushRoute.of(source.routes, "POST", path))
        let request = PushRequest(
            route: route, path: path, headers: PushHeaders([.init(name: "Content-Type", value: "application/json")]),
            query: [], pathParameters: [:], body: BytesBody(bytes: Array(body.utf8)))
        return await source.serve(request, context: context)
    }

    @Test("one record: a delta of usage_amount × unit_scale, subject user_id, the dimensions of §5")
    func oneRecord() async throws {
        let source = Self.source()
        let context = TestPushContext(now: Self.now)
        let response = try await Self.post(
            source, UsageRecordsSource.recordPath,
            #"{"user_id":"u1","product_id":"minio","service_type":"storage_minio","usage_amount":"1.5","billing_method":"wallet_deduction","organization_id":"org","session_id":"s","request_id":"r-1","usage_details":{"tokens":1000,"nested":[1,2]},"usage_timestamp":"2025-12-31T23:59:00Z"}"#,
            context: context)
        #expect(response.status == 200)
        let batch = try #require(context.batches.first)
        #expect(batch.observations.count == 1)
        let observation = try #require(batch.observations.first)
        #expect(observation.series.subject == "u1")
        #expect(observation.series.metric == "storage.byte_hours")
        #expect(observation.series.dimension("organization_id") == "org")
        #expect(observation.series.dimension("product_id") == "minio")
        #expect(observation.series.dimension("service_type") == "storage_minio")
        #expect(observation.series.dimension("session_id") == "s")
        #expect(observation.value == .delta(1_500_000_000, idempotencyKey: "r-1"))
        #expect(observation.time == Timestamp(secondsSinceEpoch: 1_767_225_540))
        #expect(jsonObject(response)["quantity"] as? String == "1500000000")
    }

    @Test("product_id refines the mapping; no usage_timestamp: the receive time")
    func productMapping() async throws {
        let context = TestPushContext(now: Self.now)
        let response = try await Self.post(
            Self.source(), UsageRecordsSource.recordPath,
            #"{"user_id":"u1","product_id":"gpt-4","service_type":"model_inference","usage_amount":1000}"#,
            context: context)
        #expect(response.status == 200)
        let observation = try #require(context.batches.first?.observations.first)
        #expect(observation.series.metric == "ai.gpt4_tokens")
        #expect(observation.time == Self.now)
        #expect(observation.value == .delta(1000, idempotencyKey: nil))
    }

    @Test(
        "same request_id and record: the original answer again, nothing submitted; another record: 409 with both digests"
    )
    func idempotency() async throws {
        let source = Self.source()
        let context = TestPushContext(now: Self.now)
        let body =
            #"{"user_id":"u1","product_id":"p","service_type":"model_inference","usage_amount":"7","request_id":"k"}"#
        let first = try await Self.post(source, UsageRecordsSource.recordPath, body, context: context)
        // Spacing and key order do not make another record.
        let again = try await Self.post(
            source, UsageRecordsSource.recordPath,
            #"{ "request_id": "k", "usage_amount": "7", "service_type": "model_inference", "product_id": "p", "user_id": "u1" }"#,
            context: context)
        #expect(first.status == 200)
        #expect(again.status == 200)
        guard case .bytes(let a) = first.body, case .bytes(let b) = again.body else {
            Issue.record("not bytes")
            return
        }
        #expect(a == b)
        #expect(context.batches.count == 1)
        let conflict = try await Self.post(
            source, UsageRecordsSource.recordPath,
            #"{"user_id":"u1","product_id":"p","service_type":"model_inference","usage_amount":"8","request_id":"k"}"#,
            context: context)
        #expect(conflict.status == 409)
        let object = jsonObject(conflict)
        let original = try #require(object["original_digest"] as? String)
        let digest = try #require(object["digest"] as? String)
        #expect(original != digest)
        #expect(original.count == 64)
        #expect(context.batches.count == 1)
    }

    @Test("records: a JSON array and NDJSON, all or nothing with the record index and field")
    func many() async throws {
        let source = Self.source()
        let context = TestPushContext(now: Self.now)
        let ok = try await Self.post(
            source, UsageRecordsSource.recordsPath,
            #"[{"user_id":"a","product_id":"p","service_type":"model_inference","usage_amount":1},{"user_id":"b","product_id":"p","service_type":"model_inference","usage_amount":"2"}]"#,
            context: context)
        #expect(ok.status == 200)
        #expect(jsonObject(ok)["accepted"] as? Int == 2)
        let ndjson = try await Self.post(
            source, UsageRecordsSource.recordsPath,
            "{\"user_id\":\"a\",\"product_id\":\"p\",\"service_type\":\"model_inference\",\"usage_amount\":3}\n\n"
                + "{\"user_id\":\"b\",\"product_id\":\"p\",\"service_type\":\"model_inference\",\"usage_amount\":4}\n",
            context: context)
        #expect(ndjson.status == 200)
        #expect(context.batches.map(\.observations.count) == [2, 2])
        let bad = try await Self.post(
            source, UsageRecordsSource.recordsPath,
            #"[{"user_id":"a","product_id":"p","service_type":"model_inference","usage_amount":1},{"user_id":"b","product_id":"p","service_type":"model_inference","usage_amount":"2.5"}]"#,
            context: context)
        #expect(bad.status == 422)
        let detail = try #require(jsonObject(bad)["detail"] as? String)
        #expect(detail.hasPrefix("record 1, usage_amount: 2.5 is not a whole number"), "\(detail)")
        #expect(context.batches.count == 2)
    }

    @Test(
        "bad input: its exact status and message, nothing submitted",
        arguments: [
            (
                #"{"user_id":"","product_id":"p","service_type":"model_inference","usage_amount":1}"#, 422,
                "user_id: must not be empty"
            ),
            (
                #"{"user_id":"u","product_id":"p","service_type":"video","usage_amount":1}"#, 422,
                "service_type: \"video\" is not mapped; this source maps model_inference, storage_minio"
            ),
            (
                #"{"user_id":"u","product_id":"p","service_type":"model_inference","usage_amount":"-1"}"#, 422,
                "usage_amount: -1 must not be negative"
            ),
            (
                #"{"user_id":"u","product_id":"p","service_type":"model_inference","usage_amount":0.5}"#, 422,
                "usage_amount: 0.5 is not a whole number"
            ),
            (
                #"{"user_id":"u","product_id":"p","service_type":"model_inference","usage_amount":"18446744073709551616"}"#,
                422,
                "usage_amount: 18446744073709551616 is too large"
            ),
            (
                #"{"user_id":"u","product_id":"p","service_type":"model_inference","usage_amount":1,"usage_timestamp":"2026-01-01T01:00:00Z"}"#,
                422,
                "usage_timestamp: "
            ),
            (
                #"{"user_id":"u","product_id":"p","service_type":"model_inference","usage_amount":1,"billing_method":"cash"}"#,
                422,
                "billing_method: \"cash\" is not one of"
            ),
            (
                #"{"user_id":"u","product_id":"p","service_type":"model_inference"}"#, 422,
                "(usage_amount): missing usage_amount"
            ),
            (#"{"user_id":"u","product_id":"p","service_type":"model_inference","usage_amount":1"#, 422, "truncated"),
        ])
    func refusals(body: String, status: Int, message: String) async throws {
        let context = TestPushContext(now: Self.now)
        let response = try await Self.post(Self.source(), UsageRecordsSource.recordPath, body, context: context)
        #expect(response.status == status)
        let detail = jsonObject(response)["detail"] as? String ?? ""
        #expect(detail.contains(message), "\(detail)")
        #expect(context.batches.isEmpty)
    }

    @Test("a body over max_body_bytes is 413, nothing submitted")
    func tooLarge() async throws {
        let context = TestPushContext(now: Self.now)
        let body = "[" + String(repeating: " ", count: 5000) + "]"
        let response = try await Self.post(Self.source(), UsageRecordsSource.recordsPath, body, context: context)
        #expect(response.status == 413)
        #expect(context.batches.isEmpty)
    }

    @Test("a pipeline that cannot commit: 503 with Retry-After, and the key is not remembered")
    func unavailable() async throws {
        let source = Self.source()
        let context = TestPushContext(now: Self.now)
        context.refuse(PushSubmitFailure(isRetryable: true, message: "database down", retryAfterSeconds: 7))
        let body =
            #"{"user_id":"u","product_id":"p","service_type":"model_inference","usage_amount":1,"request_id":"z"}"#
        let refused = try await Self.post(source, UsageRecordsSource.recordPath, body, context: context)
        #expect(refused.status == 503)
        #expect(refused.headers["Retry-After"] == "7")
        context.refuse(nil)
        let accepted = try await Self.post(source, UsageRecordsSource.recordPath, body, context: context)
        #expect(accepted.status == 200)
        #expect(context.batches.count == 1)
    }
}

@Suite("usage_records: exact base units")
struct BaseUnitsTests {
    @Test(
        "decimal × unit_scale, exactly",
        arguments: [
            ("0", 1, UInt64(0)), ("1000", 1, 1000), ("1.5", 10, 15), ("0.002", 1000, 2), ("1e3", 1, 1000),
            ("1.25E+2", 4, 500), ("2.000", 1, 2), ("-0", 1, 0), ("18446744073709551615", 1, UInt64.max),
            ("0.000000001", 1_000_000_000, 1),
        ])
    func exact(text: String, scale: UInt64, expected: UInt64) {
        #expect(BaseUnits.convert(text, scale: scale) == .success(expected))
    }

    @Test(
        "never rounded",
        arguments: [
            ("1.5", 1, BaseUnits.Refusal.notWhole(scale: 1)), ("0.0001", 1000, .notWhole(scale: 1000)),
            ("-1", 1, .negative), ("18446744073709551616", 1, .tooLarge), ("1e20", 1, .tooLarge),
            ("1e-1", 1, .notWhole(scale: 1)),
        ])
    func refused(text: String, scale: UInt64, refusal: BaseUnits.Refusal) {
        #expect(BaseUnits.convert(text, scale: scale) == .failure(refusal))
    }
}

@Suite("usage_records configuration")
struct UsageRecordsConfigTests {
    static let directory: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/Sources/Adapters/UsageRecords"
    }()

    @Test("sample.yaml decodes through the real factory with every key")
    func sample() throws {
        let text = try String(contentsOfFile: Self.directory + "/sample.yaml", encoding: .utf8)
        let root = try YAMLDocument.parse(text, file: "sample.yaml")
        let diagnostics = ConfigDiagnostics()
        let sources = ConfigMap(root, path: "sources", diagnostics: diagnostics)
        let entry = try #require(sources.map("ai_usage"))
        #expect(entry.string("type") == "usage_records")
        let source = UsageRecordsFactory().makeSource(id: "ai_usage", config: entry, context: testContext)
        #expect(diagnostics.problems.isEmpty, "\(diagnostics.problems)")
        let records = try #require(source as? UsageRecordsSource)
        #expect(records.settings.mapping(serviceType: "storage_minio", productID: "x")?.unitScale == 1_000_000_000)
        #expect(
            records.settings.mapping(serviceType: "model_inference", productID: "gpt-4")?.metric == "ai.gpt4_tokens")
        #expect(records.settings.healthPort == 8216)
        #expect(records.metering.window.maxAge == .seconds(168 * 3600))
    }

    @Test("problems carry their path and line")
    func problems() throws {
        let root = try YAMLDocument.parse(
            "service_types:\n  a:\n    metric: m\n    unit_scale: 0\n  b:\n    unit_scale: 1\nmax_body_bytes: 5\nfoo: 1\n",
            file: "t.yaml")
        let diagnostics = ConfigDiagnostics()
        let map = ConfigMap(root, path: "sources.ai", diagnostics: diagnostics)
        #expect(UsageRecordsFactory.decode(map) == nil)
        let byPath = Dictionary(grouping: diagnostics.problems, by: \.path)
        #expect(byPath["sources.ai.service_types.a.unit_scale"]?.first?.line == 4)
        #expect(byPath["sources.ai.service_types.b.metric"] != nil)
        #expect(byPath["sources.ai.max_body_bytes"]?.first?.line == 7)
        #expect(byPath["sources.ai.foo"]?.first?.message.contains("unknown key") == true)
    }
}
