import Core
import Foundation
import SwiftProtobuf
import Testing
import WireFormats

@testable import ConnectVMMetrics

@Suite("connect_vm_metrics: the Connect unary protocol")
struct UnaryProtocolTests {
    typealias F = ConnectFixture
    static let batchPath = "billing.v1.BillingService/SendMetricsBatch"

    @Test("proto3 JSON: snake_case and lowerCamelCase names, int64 as string or number, 6 observations a reading")
    func jsonNames() async throws {
        let source = F.source(region: "eu")
        let context = TestPushContext(now: F.now)
        let response = await F.call(
            source, Self.batchPath,
            json:
                #"{"vm_id":"vm-1","customerId":"cust-1","metrics":[{"timestamp":"2025-12-31T23:59:00Z","cpu_time_nanos":"1000","memoryUsageBytes":2048,"diskReadBytes":"5","disk_write_bytes":6,"networkRxBytes":"7","network_tx_bytes":"8","unknown_field":1}]}"#,
            context: context)
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "application/json")
        let answer = F.json(response)
        #expect(answer["success"] as? Bool == true)
        let observations = try #require(context.batches.first?.observations)
        #expect(observations.count == 6)
        let byMetric = Dictionary(uniqueKeysWithValues: observations.map { ($0.series.metric, $0) })
        #expect(byMetric[VMMetrics.cpuTime]?.value == .cumulative(1000))
        #expect(byMetric[VMMetrics.memory]?.value == .gauge(2048))
        #expect(byMetric[VMMetrics.diskRead]?.value == .cumulative(5))
        #expect(byMetric[VMMetrics.diskWrite]?.value == .cumulative(6))
        #expect(byMetric[VMMetrics.networkRx]?.value == .cumulative(7))
        #expect(byMetric[VMMetrics.networkTx]?.value == .cumulative(8))
        let series = try #require(byMetric[VMMetrics.cpuTime]?.series)
        #expect(series.subject == "cust-1")
        #expect(series.dimension("vm_id") == "vm-1")
        #expect(series.dimension("region") == "eu")
        #expect(context.batches.first?.samples == 1)
    }

    @Test("binary proto: the answer is application/proto and decodes")
    func binary() async throws {
        let context = TestPushContext(now: F.now)
        let response = try await F.call(F.source(), Self.batchPath, proto: F.metaldBatch(count: 3), context: context)
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "application/proto")
        let answer = try Billing_V1_SendMetricsBatchResponse(serializedBytes: F.bytes(response))
        #expect(answer.success)
        #expect(answer.accepted == 3)
        #expect(context.batches.first?.observations.count == 18)
    }

    @Test("gzip request and gzip answer when Accept-Encoding lists it")
    func gzip() async throws {
        let source = F.source()
        let context = TestPushContext(now: F.now)
        let body = try F.gzip(try F.metaldBatch().serializedBytes())
        let request = F.request(
            source, Self.batchPath, body: body, contentType: "application/proto",
            headers: [("Content-Encoding", "gzip"), ("Accept-Encoding", "br, gzip")])
        let response = await source.serve(request, context: context)
        #expect(response.status == 200)
        #expect(response.headers["Content-Encoding"] == "gzip")
        let answer = try Billing_V1_SendMetricsBatchResponse(serializedBytes: try F.gunzip(F.bytes(response)))
        #expect(answer.success)
        #expect(context.batches.count == 1)
    }

    @Test("an empty batch is success: false, \"no metrics provided\", and nothing is submitted")
    func empty() async throws {
        let context = TestPushContext(now: F.now)
        let response = await F.call(
            F.source(), Self.batchPath, json: #"{"vm_id":"vm-1","customer_id":"c","metrics":[]}"#, context: context)
        #expect(response.status == 200)
        #expect(F.json(response)["success"] as? Bool == false)
        #expect(F.json(response)["message"] as? String == "no metrics provided")
        #expect(context.batches.isEmpty)
    }

    @Test(
        "bad input: its status, Connect code and message, nothing submitted",
        arguments: [
            (
                "billing.v1.BillingService/SendMetrics", #"{}"#, 404, "not_found",
                "no method \"SendMetrics\" in billing.v1.BillingService"
            ),
            (
                batchPath,
                #"{"vm_id":"v","customer_id":"c","metrics":[{"timestamp":"2025-12-31T23:59:00Z","cpu_time_nanos":1.5}]}"#,
                400, "invalid_argument", "not a valid billing.v1.SendMetricsBatchRequest"
            ),
            (
                batchPath,
                #"{"vm_id":"v","customer_id":"c","metrics":[{"timestamp":"2025-12-31T23:59:00Z","cpu_time_nanos":"9223372036854775808"}]}"#,
                400, "invalid_argument", "not a valid"
            ),
            (
                batchPath,
                #"{"vm_id":"v","customer_id":"c","metrics":[{"timestamp":"2025-12-31T23:58:00Z"},{"timestamp":"2025-12-31T23:59:00Z","cpu_time_nanos":"-5"}]}"#,
                400, "invalid_argument", "metrics[1].cpu_time_nanos: -5 is negative"
            ),
            (
                batchPath, #"{"vm_id":"v","customer_id":"c","metrics":[{"timestamp":"2026-01-01T01:00:00Z"}]}"#, 400,
                "invalid_argument", "metrics[0].timestamp: "
            ),
            (
                batchPath, #"{"vm_id":"v","customer_id":"","metrics":[{"timestamp":"2025-12-31T23:59:00Z"}]}"#, 400,
                "invalid_argument", "customer_id: must not be empty"
            ),
            (
                batchPath, #"{"vm_id":"v","customer_id":"c","metrics":[{"cpu_time_nanos":1}]}"#, 400,
                "invalid_argument", "metrics[0].timestamp: missing"
            ),
            (
                "billing.v1.BillingService/NotifyVmStarted", #"{"vm_id":"v","customer_id":"c","start_time":"0"}"#,
                400, "invalid_argument", "start_time: 0 is not a Unix time"
            ),
        ])
    func refusals(path: String, body: String, status: Int, code: String, message: String) async throws {
        let context = TestPushContext(now: F.now)
        let response = await F.call(F.source(), path, json: body, context: context)
        #expect(response.status == status)
        #expect(response.headers["Content-Type"] == "application/json")
        let error = F.json(response)
        #expect(error["code"] as? String == code)
        let text = error["message"] as? String ?? ""
        #expect(text.contains(message), "\(text)")
        #expect(context.batches.isEmpty)
    }

    @Test("a truncated proto is invalid_argument (400)")
    func truncatedProto() async throws {
        let bytes: [UInt8] = try F.metaldBatch().serializedBytes()
        let source = F.source()
        let context = TestPushContext(now: F.now)
        let request = F.request(
            source, Self.batchPath, body: Array(bytes.dropLast(3)), contentType: "application/proto")
        let response = await source.serve(request, context: context)
        #expect(response.status == 400)
        #expect(F.json(response)["code"] as? String == "invalid_argument")
        #expect(context.batches.isEmpty)
    }

    @Test("another codec is 415 with Accept-Post")
    func wrongCodec() async {
        let source = F.source()
        let context = TestPushContext(now: F.now)
        let response = await source.serve(
            F.request(source, Self.batchPath, body: Array("x".utf8), contentType: "text/plain"), context: context)
        #expect(response.status == 415)
        #expect(response.headers["Accept-Post"] == "application/json, application/proto")
        #expect(context.batches.isEmpty)
    }

    @Test("a body over max_body_bytes, or gzip that inflates past it, is 413")
    func tooLarge() async throws {
        let source = F.source(maxBodyBytes: 1024)
        let context = TestPushContext(now: F.now)
        let big: [UInt8] = try F.metaldBatch(count: 40).serializedBytes()
        #expect(big.count > 1024)
        let plain = await source.serve(
            F.request(source, Self.batchPath, body: big, contentType: "application/proto"), context: context)
        #expect(plain.status == 413)
        let bomb = try F.gzip([UInt8](repeating: 0x20, count: 100_000))
        #expect(bomb.count < 1024)
        let inflated = await source.serve(
            F.request(source, Self.batchPath, body: bomb, headers: [("Content-Encoding", "gzip")]), context: context)
        #expect(inflated.status == 413)
        #expect(F.json(inflated)["code"] as? String == "resource_exhausted")
        #expect(context.batches.isEmpty)
    }

    @Test("gzip that does not inflate is invalid_argument; an unknown encoding is unimplemented")
    func encodings() async {
        let source = F.source()
        let context = TestPushContext(now: F.now)
        let broken = await source.serve(
            F.request(source, Self.batchPath, body: [0x1f, 0x8b, 1, 2, 3], headers: [("Content-Encoding", "gzip")]),
            context: context)
        #expect(broken.status == 400)
        #expect(F.json(broken)["code"] as? String == "invalid_argument")
        let unknown = await source.serve(
            F.request(source, Self.batchPath, body: Array("{}".utf8), headers: [("Content-Encoding", "zstd")]),
            context: context)
        #expect(unknown.status == 501)
        #expect(F.json(unknown)["code"] as? String == "unimplemented")
        #expect(context.batches.isEmpty)
    }

    @Test("Connect-Protocol-Version other than 1 and a malformed Connect-Timeout-Ms are invalid_argument")
    func headers() async {
        let source = F.source()
        let context = TestPushContext(now: F.now)
        let version = await F.call(
            source, Self.batchPath, json: "{}", context: context, headers: [("Connect-Protocol-Version", "2")])
        #expect(version.status == 400)
        let timeout = await F.call(
            source, Self.batchPath, json: "{}", context: context, headers: [("Connect-Timeout-Ms", "12345678901")])
        #expect(timeout.status == 400)
        #expect((F.json(timeout)["message"] as? String)?.contains("Connect-Timeout-Ms") == true)
    }

    @Test("a call past Connect-Timeout-Ms is deadline_exceeded (504)")
    func deadline() async throws {
        let source = F.source()
        let context = TestPushContext(now: F.now)
        context.slow(.seconds(2))
        let started = ContinuousClock.now
        let response = try await F.call(
            source, Self.batchPath, proto: F.metaldBatch(), context: context, headers: [("Connect-Timeout-Ms", "100")])
        #expect(response.status == 504)
        #expect(F.json(response)["code"] as? String == "deadline_exceeded")
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test("a pipeline that cannot commit is unavailable (503) with Retry-After")
    func unavailable() async throws {
        let context = TestPushContext(now: F.now)
        context.refuse(PushSubmitFailure(isRetryable: true, message: "sink down", retryAfterSeconds: 5))
        let response = try await F.call(F.source(), Self.batchPath, proto: F.metaldBatch(), context: context)
        #expect(response.status == 503)
        #expect(response.headers["Retry-After"] == "5")
        #expect(F.json(response)["code"] as? String == "unavailable")
    }

    @Test("every code answers the status of §7's table")
    func table() {
        let expected: [ConnectCode: Int] = [
            .canceled: 499, .unknown: 500, .internal: 500, .dataLoss: 500, .invalidArgument: 400,
            .failedPrecondition: 400, .outOfRange: 400, .deadlineExceeded: 504, .notFound: 404, .alreadyExists: 409,
            .aborted: 409, .permissionDenied: 403, .resourceExhausted: 429, .unimplemented: 501, .unavailable: 503,
            .unauthenticated: 401,
        ]
        for code in ConnectCode.allCases { #expect(code.httpStatus == expected[code], "\(code)") }
    }
}
