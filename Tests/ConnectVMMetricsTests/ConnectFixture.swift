import CompressNIO
import Core
import Foundation
import NIOCore
import SwiftProtobuf

@testable import ConnectVMMetrics

/// Requests to a `connect_vm_metrics` source as a Connect client sends them.
enum ConnectFixture {
    static let now = Timestamp(secondsSinceEpoch: 1_767_225_600)  // 2026-01-01T00:00:00Z

    static func source(maxBodyBytes: Int64 = 64 * 1024, region: String? = nil) -> ConnectVMMetricsSource {
        ConnectVMMetricsSource(
            id: "vm", settings: ConnectVMMetricsSettings(maxBodyBytes: maxBodyBytes, region: region))
    }

    static func request(
        _ source: ConnectVMMetricsSource, _ path: String, body: [UInt8], contentType: String? = "application/json",
        headers extra: [(String, String)] = []
    ) -> PushRequest {
        let service = path.split(separator: "/").first.map(String.init) ?? ""
        let route =
            source.routes.first { $0.path == "/\(service)/{method}" }
            ?? PushRoute(method: "POST", path: path, scope: .ingest, maxBodyBytes: 1024)
        var headers = PushHeaders()
        if let contentType { headers.append("Content-Type", contentType) }
        headers.append("Connect-Protocol-Version", "1")
        for (name, value) in extra { headers.append(name, value) }
        return PushRequest(
            route: route, path: "/" + path, headers: headers, query: [],
            pathParameters: ["method": String(path.split(separator: "/").last ?? "")], body: BytesBody(bytes: body))
    }

    static func call(
        _ source: ConnectVMMetricsSource, _ path: String, json: String, context: TestPushContext,
        headers: [(String, String)] = []
    ) async -> PushResponse {
        await source.serve(request(source, path, body: Array(json.utf8), headers: headers), context: context)
    }

    static func call<M: SwiftProtobuf.Message>(
        _ source: ConnectVMMetricsSource, _ path: String, proto message: M, context: TestPushContext,
        headers: [(String, String)] = []
    ) async throws -> PushResponse {
        let bytes: [UInt8] = try message.serializedBytes()
        return await source.serve(
            request(source, path, body: bytes, contentType: "application/proto", headers: headers), context: context)
    }

    static func bytes(_ response: PushResponse) -> [UInt8] {
        if case .bytes(let bytes) = response.body { return bytes }
        return []
    }

    static func json(_ response: PushResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(bytes(response))) as? [String: Any]) ?? [:]
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        var buffer = ByteBuffer(bytes: bytes)
        return Array(try buffer.compress(with: .gzip()).readableBytesView)
    }

    static func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
        var buffer = ByteBuffer(bytes: bytes)
        return Array(try buffer.decompress(with: .gzip()).readableBytesView)
    }

    static func stamp(_ seconds: Int64) -> Google_Protobuf_Timestamp {
        Google_Protobuf_Timestamp(seconds: seconds, nanos: 0)
    }

    /// metald's batch of `count` readings a minute apart ending one minute before `now`.
    static func metaldBatch(vm: String = "vm-1", customer: String = "cust-1", count: Int = 2)
        -> Billing_V1_SendMetricsBatchRequest
    {
        var request = Billing_V1_SendMetricsBatchRequest()
        request.vmID = vm
        request.customerID = customer
        request.metrics = (0..<count).map { index in
            var metric = Billing_V1_VMMetrics()
            metric.timestamp = stamp(now.nanosecondsSinceEpoch / 1_000_000_000 - Int64(60 * (count - index)))
            metric.cpuTimeNanos = Int64(1_000_000 * (index + 1))
            metric.memoryUsageBytes = 1 << 30
            metric.diskReadBytes = Int64(100 * (index + 1))
            metric.diskWriteBytes = Int64(200 * (index + 1))
            metric.networkRxBytes = Int64(300 * (index + 1))
            metric.networkTxBytes = Int64(400 * (index + 1))
            return metric
        }
        return request
    }
}
