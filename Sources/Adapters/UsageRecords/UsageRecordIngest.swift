import Core
import Crypto
import WireFormats

/// `POST /api/v1/usage/record` and `/records`: records checked whole (422 naming
/// the record and field), `request_id` idempotency (200 replay, 409 conflict),
/// then one batch through the pipeline, answered once durable.
extension UsageRecordsSource {
    /// A record checked and converted.
    struct Accepted: Sendable {
        var record: UsageRecord
        var mapping: UsageRecordsSettings.Mapping
        var quantity: UInt64
        var time: Timestamp
        var digest: String
    }

    func ingest(_ request: PushRequest, many: Bool, context: any PushContext) async -> PushResponse {
        let body: [UInt8]
        do {
            body = try await request.collectBody()
        } catch {
            return JSONAnswer.detail(error.status, error.message)
        }
        let decoded: Result<[UsageRecord], UsageRecordDecoder.Failure> = body.withUnsafeBytes { raw in
            do throws(UsageRecordDecoder.Failure) {
                return .success(many ? try UsageRecordDecoder.decodeMany(raw) : [try UsageRecordDecoder.decodeOne(raw)])
            } catch {
                return .failure(error)
            }
        }
        let records: [UsageRecord]
        switch decoded {
        case .success(let value): records = value
        case .failure(let failure): return JSONAnswer.detail(422, failure.description)
        }
        guard records.count <= settings.maxRecords else {
            return JSONAnswer.detail(
                413, "the body holds \(records.count) records; this source accepts at most \(settings.maxRecords)")
        }
        let now = self.now(context)
        var accepted: [Accepted] = []
        accepted.reserveCapacity(records.count)
        for (index, record) in records.enumerated() {
            switch check(record, now: now) {
            case .success(let value): accepted.append(value)
            case .failure(let refusal):
                let at = many ? "record \(index), " : ""
                return JSONAnswer.detail(422, at + refusal.text)
            }
        }
        // request_id: a key seen before with another record, or twice in this body with two, is a conflict.
        var keyed = accepted.enumerated().compactMap { offset, item in item.record.requestID.map { ($0, offset) } }
        // Keys this process answered; the pipeline checks the others against the committed ones.
        let known = await requests.lookup(keyed.map(\.0))
        var inBody: [String: String] = [:]
        var repeated: Set<Int> = []
        var replays = 0
        for (key, offset) in keyed {
            let digest = accepted[offset].digest
            if let first = known[key]?.digest ?? inBody[key], first != digest {
                return Self.conflict(RequestKeyConflict(key: key, committedDigest: first, digest: digest))
            }
            if inBody[key] != nil { repeated.insert(offset) }
            inBody[key] = digest
            if known[key] != nil { replays += 1 }
        }
        // A record repeated under one request_id in one body is one record.
        if !repeated.isEmpty {
            accepted = accepted.enumerated().filter { !repeated.contains($0.offset) }.map(\.element)
            keyed = accepted.enumerated().compactMap { offset, item in item.record.requestID.map { ($0, offset) } }
            replays = keyed.filter { known[$0.0] != nil }.count
        }
        if !many, replays == 1, let key = accepted.first?.record.requestID, let original = known[key] {
            return .json(200, original.answer)
        }
        // A body all of whose records were answered before is answered again
        // (the answer they got together, or the same answer made again).
        if many, !accepted.isEmpty, replays == accepted.count {
            let answers = Set(keyed.compactMap { known[$0.0]?.answer })
            if answers.count == 1, let original = answers.first { return .json(200, original) }
            return .json(200, Self.answer(many: accepted))
        }
        let answer: JSONAnswer
        if accepted.isEmpty {
            answer = .object([("success", .bool(true)), ("accepted", .integer(0)), ("records", .array([]))])
            return answer.response()
        }
        let batch: ObservationBatch
        do {
            batch = try self.batch(of: accepted, cursor: context.cursor)
        } catch {
            return JSONAnswer.detail(500, "cannot encode the cursor: \(error)")
        }
        do {
            _ = try await context.submit(batch)
        } catch {
            if let conflict = error.conflict { return Self.conflict(conflict) }
            if error.isRetryable {
                return JSONAnswer.detail(
                    503, error.message, headers: [.init(name: "Retry-After", value: String(error.retryAfterSeconds))])
            }
            return JSONAnswer.detail(500, error.message)
        }
        let bytes = many ? Self.answer(many: accepted) : Self.summary(accepted[0]).bytes
        await requests.remember(
            keyed.map { key, offset in (key, .init(digest: accepted[offset].digest, answer: bytes)) })
        return .json(200, bytes)
    }

    /// 409: a `request_id` first sent with another record, both digests named.
    static func conflict(_ conflict: RequestKeyConflict) -> PushResponse {
        JSONAnswer.object([
            ("detail", .string(conflict.description)), ("request_id", .string(conflict.key)),
            ("original_digest", .string(conflict.committedDigest)), ("digest", .string(conflict.digest)),
        ]).response(409)
    }

    /// The answer for a body of records.
    static func answer(many accepted: [Accepted]) -> [UInt8] {
        JSONAnswer.object([
            ("success", .bool(true)), ("accepted", .integer(Int64(accepted.count))),
            ("records", .array(accepted.map(Self.summary))),
        ]).bytes
    }

    /// The answer for one record: deterministic, so a replay answers the same.
    static func summary(_ item: Accepted) -> JSONAnswer {
        .object([
            ("success", .bool(true)), ("message", .string("usage recorded")),
            ("record_id", .string("ur_" + item.digest.prefix(32))),
            ("request_id", item.record.requestID.map(JSONAnswer.string) ?? .null),
            ("user_id", .string(item.record.userID)), ("product_id", .string(item.record.productID)),
            ("service_type", .string(item.record.serviceType)), ("usage_amount", .string(item.record.usageAmount)),
            ("metric", .string(item.mapping.metric)), ("quantity", .string(String(item.quantity))),
            ("usage_timestamp", .string(item.time.rfc3339())),
        ])
    }

    static let billingMethods: Set<String> = [
        "wallet_deduction", "payment_charge", "credit_consumption", "subscription_included",
    ]

    /// One record's checks, in field order; the refusal names the field.
    func check(_ record: UsageRecord, now: Timestamp) -> Result<Accepted, Refusal> {
        if record.userID.isEmpty { return .failure("user_id: must not be empty") }
        if record.productID.isEmpty { return .failure("product_id: must not be empty") }
        guard let mapping = settings.mapping(serviceType: record.serviceType, productID: record.productID) else {
            let mapped = settings.serviceTypes.keys.sorted().joined(separator: ", ")
            return .failure("service_type: \"\(record.serviceType)\" is not mapped; this source maps \(mapped)")
        }
        let quantity: UInt64
        switch BaseUnits.convert(record.usageAmount, scale: mapping.unitScale) {
        case .success(let value): quantity = value
        case .failure(let refusal): return .failure("usage_amount: \(record.usageAmount) \(refusal)")
        }
        if let method = record.billingMethod, !Self.billingMethods.contains(method) {
            let valid = Self.billingMethods.sorted().joined(separator: ", ")
            return .failure("billing_method: \"\(method)\" is not one of \(valid)")
        }
        if let organization = record.organizationID, organization.isEmpty {
            return .failure("organization_id: must not be empty (omit it instead)")
        }
        if let session = record.sessionID, session.isEmpty {
            return .failure("session_id: must not be empty (omit it instead)")
        }
        if let key = record.requestID, key.isEmpty {
            return .failure("request_id: must not be empty (omit it instead)")
        }
        let time = record.usageTimestamp ?? now
        if record.usageTimestamp != nil, let violation = metering.window.violation(of: time, now: now) {
            return .failure("usage_timestamp: \(violation)")
        }
        return .success(
            Accepted(record: record, mapping: mapping, quantity: quantity, time: time, digest: Self.digest(of: record)))
    }

    /// SHA-256 (hex) of the record's fields (not its bytes: key order and
    /// spacing do not make another record). `usage_details` is not billed and
    /// not part of it.
    static func digest(of record: UsageRecord) -> String {
        let fields = [
            record.userID, record.productID, record.serviceType, record.usageAmount, record.billingMethod ?? "\u{1}",
            record.organizationID ?? "\u{1}", record.sessionID ?? "\u{1}", record.requestID ?? "\u{1}",
            record.usageTimestamp.map { String($0.nanosecondsSinceEpoch) } ?? "\u{1}",
        ]
        let hash = SHA256.hash(data: Array(fields.joined(separator: "\u{0}").utf8))
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in hash {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Subject = user_id; dimensions organization_id, product_id, service_type, session_id.
    func series(of item: Accepted) -> SeriesKey {
        var dimensions = [
            Dimension("product_id", item.record.productID), Dimension("service_type", item.record.serviceType),
        ]
        if let organization = item.record.organizationID {
            dimensions.append(Dimension("organization_id", organization))
        }
        if let session = item.record.sessionID { dimensions.append(Dimension("session_id", session)) }
        return SeriesKey(source: id, subject: item.record.userID, metric: item.mapping.metric, dimensions: dimensions)
    }

    func batch(of accepted: [Accepted], cursor: SourceCursor?) throws -> ObservationBatch {
        let observations = accepted.map { item in
            Observation(
                series: series(of: item), time: item.time,
                value: .delta(item.quantity, idempotencyKey: item.record.requestID))
        }
        var latest = accepted.map(\.time).max() ?? Timestamp(nanosecondsSinceEpoch: 0)
        if let previous = try? cursor?.decode(as: UsageRecordsCursor.self), previous.latest > latest {
            latest = previous.latest
        }
        var batch = ObservationBatch(
            observations: observations, cursor: try SourceCursor(encoding: UsageRecordsCursor(latest: latest)),
            position: "usage records push of \(accepted.count)", samples: accepted.count)
        batch.requestKeys = accepted.compactMap { item in
            item.record.requestID.map { RequestKey(key: $0, digest: item.digest) }
        }
        return batch
    }
}
