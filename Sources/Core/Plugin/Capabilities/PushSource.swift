/// A source that is sent its data over HTTP instead of pulling it: it declares
/// the routes it serves, and the daemon mounts every route of every configured
/// push source on its listener (after bearer auth by the route's scope).
///
/// Modelled on OpenTelemetry Collector receivers and Vector's `HttpSource`: the
/// adapter owns its wire format (what a body means, what an answer looks like);
/// the daemon owns the listener, auth, limits and the pipeline. An adapter whose
/// answers are the daemon's own job results serves a route with
/// `PushContext.ingest(_:decode:)`; one with a protocol of its own (Connect)
/// builds its answers and calls `PushContext.submit(_:)`.
public protocol PushSource: ObservationSource {
    /// The routes this source serves. Two sources may not declare the same
    /// method and path, unless they are of one type and tell requests apart by
    /// `?source=` (the daemon then routes by that parameter, or to the only one).
    var routes: [PushRoute] { get }
    /// Answers one request to one of `routes`. Never throws: every failure is an answer.
    func serve(_ request: PushRequest, context: any PushContext) async -> PushResponse
}

/// The scope a bearer token needs for a route (`service.tokens[].scopes`).
public struct AccessScope: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Reading status and usage.
    public static let read = AccessScope(rawValue: "billing:read")
    /// Jobs (collect, reconcile).
    public static let admin = AccessScope(rawValue: "billing:admin")
    /// Sending usage (push routes).
    public static let ingest = AccessScope(rawValue: "ingest")

    public var description: String { rawValue }
}

/// One HTTP endpoint a push source serves.
public struct PushRoute: Sendable, Hashable, CustomStringConvertible {
    /// `POST` or `GET`.
    public var method: String
    /// The path; a segment `{name}` matches any one segment and is handed to
    /// the source in `PushRequest.pathParameters`.
    public var path: String
    /// The scope a token needs; `nil`: open, like a health probe.
    public var scope: AccessScope?
    /// Media types a request body may declare (lower case, without parameters).
    /// Others are refused with 415 before the body is read. Empty: any.
    public var contentTypes: [String]
    /// Whether a request without `Content-Type` is served (as the first of `contentTypes`).
    public var allowsMissingContentType: Bool
    /// Whether `charset` other than UTF-8 is refused with 415 (JSON bodies).
    public var requiresUTF8: Bool
    /// The largest body served; a longer one is refused by `PushRequestBody.collect`.
    public var maxBodyBytes: Int

    public init(
        method: String, path: String, scope: AccessScope?, contentTypes: [String] = [],
        allowsMissingContentType: Bool = true, requiresUTF8: Bool = false, maxBodyBytes: Int
    ) {
        self.method = method
        self.path = path
        self.scope = scope
        self.contentTypes = contentTypes
        self.allowsMissingContentType = allowsMissingContentType
        self.requiresUTF8 = requiresUTF8
        self.maxBodyBytes = maxBodyBytes
    }

    public var description: String { "\(method) \(path)" }
}

/// HTTP header fields of a request or an answer: names compare case-insensitively.
public struct PushHeaders: Sendable, Hashable, Sequence {
    public private(set) var fields: [Field]

    /// One header line.
    public struct Field: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(_ fields: [Field] = []) { self.fields = fields }

    /// The first value of `name`.
    public subscript(name: String) -> String? {
        let lower = name.lowercased()
        return fields.first { $0.name.lowercased() == lower }?.value
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        let lower = name.lowercased()
        return fields.filter { $0.name.lowercased() == lower }.map(\.value)
    }

    /// Adds a field (keeps earlier ones of the same name).
    public mutating func append(_ name: String, _ value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Replaces every field of `name` by one.
    public mutating func set(_ name: String, _ value: String) {
        let lower = name.lowercased()
        fields.removeAll { $0.name.lowercased() == lower }
        fields.append(Field(name: name, value: value))
    }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }
}

/// A request's body, read only when and as far as the source asks.
public protocol PushRequestBody: Sendable {
    /// The whole body. Throws `PushRejection.tooLarge` as soon as more than
    /// `limit` bytes arrive (a declared `Content-Length` over it is refused
    /// before anything is read), and `PushRejection` with status 400 when the
    /// connection fails while reading.
    func collect(upTo limit: Int) async throws(PushRejection) -> [UInt8]
}

/// A request to one of a push source's routes, after auth.
public struct PushRequest: Sendable {
    /// The route it matched.
    public var route: PushRoute
    /// The path as sent (without the query).
    public var path: String
    public var headers: PushHeaders
    /// Query parameters in order (a name may repeat).
    public var query: [(name: String, value: String)]
    /// `{name}` segments of the route's path.
    public var pathParameters: [String: String]
    public var body: any PushRequestBody

    public init(
        route: PushRoute, path: String, headers: PushHeaders, query: [(name: String, value: String)],
        pathParameters: [String: String], body: any PushRequestBody
    ) {
        self.route = route
        self.path = path
        self.headers = headers
        self.query = query
        self.pathParameters = pathParameters
        self.body = body
    }

    /// The first value of query parameter `name`.
    public func query(_ name: String) -> String? { query.first { $0.name == name }?.value }

    /// Every value of query parameter `name`.
    public func queryValues(_ name: String) -> [String] { query.filter { $0.name == name }.map(\.value) }

    /// The body read whole with the route's limit.
    public func collectBody() async throws(PushRejection) -> [UInt8] {
        try await body.collect(upTo: route.maxBodyBytes)
    }
}

/// An answer of a push source.
public struct PushResponse: Sendable {
    /// What follows the header.
    public enum Body: Sendable {
        case bytes([UInt8])
        /// Sent chunk by chunk as they come (a server stream); the answer ends with the stream.
        case stream(AsyncStream<[UInt8]>)
    }

    public var status: Int
    public var headers: PushHeaders
    public var body: Body

    public init(status: Int, headers: PushHeaders = PushHeaders(), body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer (`Content-Type: application/json`).
    public static func json(_ status: Int, _ bytes: [UInt8]) -> PushResponse {
        PushResponse(
            status: status, headers: PushHeaders([.init(name: "Content-Type", value: "application/json")]),
            body: .bytes(bytes))
    }
}

/// Why a request was refused as a whole: nothing of it was applied.
public struct PushRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status (400, 409, 413, 415, 422, …).
    public var status: Int
    /// A machine-readable code (`invalid`, `too_large`, `unsupported_media_type`, `conflict`, …).
    public var code: String
    /// What is wrong, beginning with its position in the body when known
    /// (`line 3, column 9 (snapshot 0, accounts[2].uplink): …`).
    public var message: String

    public init(status: Int, code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// 413: the body is over the route's limit.
    public static func tooLarge(limit: Int) -> PushRejection {
        PushRejection(status: 413, code: "too_large", "the body exceeds \(limit) bytes, the most this route accepts")
    }

    /// 422: the body is malformed or holds something the source refuses.
    public static func invalid(_ message: String) -> PushRejection {
        PushRejection(status: 422, code: "invalid", message)
    }

    public var description: String { message }
}

/// What one pushed batch did once durable in every sink of its pipeline.
public struct PushCommit: Sendable, Hashable {
    /// The pipeline's batch sequence it was committed as.
    public var sequence: UInt64
    /// Upstream samples of the batch (`ObservationBatch.samples`).
    public var samples: Int
    public var observations: Int
    public var facts: Int
    /// Distinct UTC minutes the batch's facts fall in.
    public var writtenMinutes: Int
    /// Distinct minutes observed that yielded no fact (already metered).
    public var replayedMinutes: Int
    /// Observations older than their series' baseline (not metered).
    public var lateObservations: Int

    public init(
        sequence: UInt64, samples: Int, observations: Int, facts: Int, writtenMinutes: Int, replayedMinutes: Int,
        lateObservations: Int
    ) {
        self.sequence = sequence
        self.samples = samples
        self.observations = observations
        self.facts = facts
        self.writtenMinutes = writtenMinutes
        self.replayedMinutes = replayedMinutes
        self.lateObservations = lateObservations
    }
}

/// Why `PushContext.submit` did not commit a batch.
public struct PushSubmitFailure: Error, Sendable, CustomStringConvertible {
    /// Whether the same request may be sent again later (a sink or its
    /// database is down, the pipeline is recovering or on standby): HTTP 503.
    public var isRetryable: Bool
    public var message: String
    /// Seconds a client should wait before retrying (`Retry-After`).
    public var retryAfterSeconds: Int
    /// Set when the batch was refused for a `request_id` committed with another digest (HTTP 409).
    public var conflict: RequestKeyConflict?

    public init(isRetryable: Bool, message: String, retryAfterSeconds: Int, conflict: RequestKeyConflict? = nil) {
        self.isRetryable = isRetryable
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.conflict = conflict
    }

    public var description: String { message }
}

/// What the daemon offers a push source while it serves a request.
public protocol PushContext: Sendable {
    /// The source's committed cursor (`nil`: nothing committed yet).
    var cursor: SourceCursor? { get }
    var clock: any WallClock { get }
    /// Applies one batch through the source's pipeline and returns once it is
    /// durable in every sink and its state committed. Throws `PushSubmitFailure`.
    /// Concurrent submits of one source may be committed together in one
    /// batch (group commit): the commit's counts are then the merged batch's,
    /// and a failure refuses them all. A batch whose `requestKeys` conflict
    /// with committed ones is refused with `conflict` set, nothing written.
    func submit(_ batch: ObservationBatch) async throws(PushSubmitFailure) -> PushCommit
    /// The usage ledger of the source's pipeline, when one of its sinks is one.
    var ledger: (any UsageLedger)? { get }
    /// The daemon's price book, when one is configured (quote routes).
    var pricing: (any UsagePricing)? { get }
    /// Where activity spans are kept, when a sink keeps them (VM start and stop notices).
    var activity: (any ActivityRecording)? { get }
    /// Every batch the source's pipeline commits from now on, until the caller stops iterating.
    func commits() -> AsyncStream<CommittedBatch>
    /// The daemon's own push answer: reads the body with the route's limit,
    /// `decode`s it against the committed cursor into one batch (nil: nothing
    /// to apply), submits it, and answers with a job result (200; 413/415/422
    /// with the rejection; 503 with `Retry-After` when it was not committed).
    func ingest(
        _ request: PushRequest, decode: @Sendable ([UInt8], SourceCursor?) throws(PushRejection) -> ObservationBatch?
    ) async -> PushResponse
}

extension PushContext {
    /// No price book: the default of contexts that quote nothing.
    public var pricing: (any UsagePricing)? { nil }
    /// No span store: the default of contexts that record no activity.
    public var activity: (any ActivityRecording)? { nil }
}

/// A batch a pipeline committed, as live readers see it.
public struct CommittedBatch: Sendable {
    public var pipeline: String
    public var sequence: UInt64
    public var source: String
    /// The batch's facts, rated.
    public var facts: [UsageFact]

    public init(pipeline: String, sequence: UInt64, source: String, facts: [UsageFact]) {
        self.pipeline = pipeline
        self.sequence = sequence
        self.source = source
        self.facts = facts
    }
}
