public import Core

/// The routes of the three services: one per service, `POST /<service>/{method}`,
/// so an unknown method of a known service is a Connect `not_found` (404)
/// naming the methods there are, and any codec reaches the adapter (415 with
/// `Accept-Post` is its answer, not the daemon's).
extension ConnectVMMetricsSource: PushSource, TimedCursorSource {
    public var routes: [PushRoute] {
        let limit = Int(settings.maxBodyBytes)
        return [
            PushRoute(method: "POST", path: "/\(Self.billingService)/{method}", scope: .ingest, maxBodyBytes: limit),
            PushRoute(method: "POST", path: "/\(Self.collectorService)/{method}", scope: .ingest, maxBodyBytes: limit),
            PushRoute(method: "POST", path: "/\(Self.queryService)/{method}", scope: .read, maxBodyBytes: limit),
        ]
    }

    /// The methods of each service, as the `.proto` names them.
    public static let methods: [String: [String]] = [
        billingService: [
            "SendMetricsBatch", "SendHeartbeat", "NotifyVmStarted", "NotifyVmStopped", "NotifyPossibleGap",
        ],
        collectorService: ["SendMetrics", "SendMetricsBatch"],
        queryService: ["GetCustomerUsage", "GetBillingWindow", "StreamLiveUsage"],
    ]

    public func serve(_ request: PushRequest, context: any PushContext) async -> PushResponse {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: false)
        let service = parts.count == 3 ? String(parts[1]) : ""
        let method = parts.count == 3 ? String(parts[2]) : ""
        switch (service, method) {
        case (Self.billingService, "SendMetricsBatch"):
            return await ConnectUnary.serve(request, as: Billing_V1_SendMetricsBatchRequest.self) {
                message throws(ConnectError) in try await sendMetricsBatch(message, context: context)
            }
        case (Self.billingService, "SendHeartbeat"):
            return await ConnectUnary.serve(request, as: Billing_V1_SendHeartbeatRequest.self) {
                message throws(ConnectError) in try await sendHeartbeat(message, context: context)
            }
        case (Self.billingService, "NotifyVmStarted"):
            return await ConnectUnary.serve(request, as: Billing_V1_NotifyVmStartedRequest.self) {
                message throws(ConnectError) in try await notifyVMStarted(message, context: context)
            }
        case (Self.billingService, "NotifyVmStopped"):
            return await ConnectUnary.serve(request, as: Billing_V1_NotifyVmStoppedRequest.self) {
                message throws(ConnectError) in try await notifyVMStopped(message, context: context)
            }
        case (Self.billingService, "NotifyPossibleGap"):
            return await ConnectUnary.serve(request, as: Billing_V1_NotifyPossibleGapRequest.self) {
                message throws(ConnectError) in try await notifyPossibleGap(message, context: context)
            }
        case (Self.collectorService, "SendMetrics"):
            return await ConnectUnary.serve(request, as: Billing_V1_SendMetricsRequest.self) {
                message throws(ConnectError) in try await sendMetrics(message, context: context)
            }
        case (Self.collectorService, "SendMetricsBatch"):
            return await ConnectUnary.serve(request, as: Billing_V1_SendMetricsBatchRequest.self) {
                message throws(ConnectError) in try await sendCollectorBatch(message, context: context)
            }
        case (Self.queryService, "GetCustomerUsage"):
            return await ConnectUnary.serve(request, as: Billing_V1_GetCustomerUsageRequest.self) {
                message throws(ConnectError) in try await customerUsage(message, context: context)
            }
        case (Self.queryService, "GetBillingWindow"):
            return await ConnectUnary.serve(request, as: Billing_V1_GetBillingWindowRequest.self) {
                message throws(ConnectError) in try await billingWindow(message, context: context)
            }
        case (Self.queryService, "StreamLiveUsage"):
            return await ConnectServerStream.serve(request, as: Billing_V1_StreamLiveUsageRequest.self) {
                message throws(ConnectError) in try liveUsage(message, context: context)
            }
        default:
            let known = Self.methods[service]?.joined(separator: ", ") ?? "none"
            return ConnectError(.notFound, "no method \"\(method)\" in \(service); it has \(known)").response
        }
    }

    public func time(of cursor: SourceCursor) -> Timestamp? {
        (try? cursor.decode(as: ConnectVMCursor.self))?.latest
    }
}
