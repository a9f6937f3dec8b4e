public import Core

/// The AI platform's routes (UPSTREAMS §5): two write routes (scope `ingest`),
/// the read side from the pipeline's ledger (scope `billing:read`), and the
/// platform's own `GET /health`.
extension UsageRecordsSource: PushSource, TimedCursorSource {
    public static let recordPath = "/api/v1/usage/record"
    public static let recordsPath = "/api/v1/usage/records"
    public static let userRecordsPath = "/api/v1/billing/records/user/{user_id}"
    public static let aggregationsPath = "/api/v1/usage/aggregations"
    public static let statsPath = "/api/v1/stats"
    public static let healthPath = "/health"

    public var routes: [PushRoute] {
        let limit = Int(settings.maxBodyBytes)
        return [
            PushRoute(
                method: "POST", path: Self.recordPath, scope: .ingest, contentTypes: ["application/json"],
                allowsMissingContentType: true, requiresUTF8: true, maxBodyBytes: limit),
            PushRoute(
                method: "POST", path: Self.recordsPath, scope: .ingest,
                contentTypes: ["application/json", "application/x-ndjson", "application/ndjson", "application/jsonl"],
                allowsMissingContentType: true, requiresUTF8: true, maxBodyBytes: limit),
            PushRoute(method: "GET", path: Self.userRecordsPath, scope: .read, maxBodyBytes: 0),
            PushRoute(method: "GET", path: Self.aggregationsPath, scope: .read, maxBodyBytes: 0),
            PushRoute(method: "GET", path: Self.statsPath, scope: .read, maxBodyBytes: 0),
            PushRoute(method: "GET", path: Self.healthPath, scope: nil, maxBodyBytes: 0),
        ]
    }

    public func serve(_ request: PushRequest, context: any PushContext) async -> PushResponse {
        switch request.route.path {
        case Self.recordPath: return await ingest(request, many: false, context: context)
        case Self.recordsPath: return await ingest(request, many: true, context: context)
        case Self.userRecordsPath: return await userRecords(request, context: context)
        case Self.aggregationsPath: return await aggregations(request, context: context)
        case Self.statsPath: return await stats(request, context: context)
        case Self.healthPath: return await health(context: context)
        default: return JSONAnswer.detail(404, "Not Found")
        }
    }

    public func time(of cursor: SourceCursor) -> Timestamp? {
        (try? cursor.decode(as: UsageRecordsCursor.self))?.latest
    }
}
