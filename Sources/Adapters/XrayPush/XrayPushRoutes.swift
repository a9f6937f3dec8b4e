public import Core

/// The route xray-exporters push to (UPSTREAMS §2): `POST /v1/ingest/snapshots`
/// with one snapshot, an array of them, or NDJSON. The daemon mounts it and
/// answers with its own job result; this adapter only decodes the body.
extension XrayPushSource: PushSource, TimedCursorSource {
    /// The media types a push body may declare (with `charset=utf-8` at most);
    /// a body with none is accepted, since exporters that set none must keep working.
    public static let acceptedContentTypes = [
        "application/json", "application/x-ndjson", "application/ndjson", "application/jsonl",
    ]

    public static let ingestPath = "/v1/ingest/snapshots"

    public var routes: [PushRoute] {
        [
            PushRoute(
                method: "POST", path: Self.ingestPath, scope: .ingest, contentTypes: Self.acceptedContentTypes,
                allowsMissingContentType: true, requiresUTF8: true, maxBodyBytes: Int(settings.maxBodyBytes))
        ]
    }

    public func serve(_ request: PushRequest, context: any PushContext) async -> PushResponse {
        await context.ingest(request) { body, cursor throws(PushRejection) in
            do throws(XrayPushRejection) {
                return try batch(fromBody: body, after: cursor)
            } catch {
                throw error.pushRejection
            }
        }
    }

    public func time(of cursor: SourceCursor) -> Timestamp? {
        (try? cursor.decode(as: XrayPushCursor.self))?.latest
    }
}

extension XrayPushRejection {
    /// The daemon's answer: 413 over the limit, 422 otherwise, the position first.
    public var pushRejection: PushRejection {
        switch kind {
        case .tooLarge: PushRejection(status: 413, code: "too_large", description)
        case .invalid: PushRejection(status: 422, code: "invalid", description)
        }
    }
}
