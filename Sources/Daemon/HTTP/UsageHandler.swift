import Core
import Hummingbird
import Logging

/// `GET /v1/usage`: the ledger's minute totals over a bounded span, unpaged
/// (a JSON array, as before) or paged (`limit`, `cursor`: an object with
/// `next_cursor` and `rows`).
extension APIServer {
    /// `?subject=&metric=&from=&to=&granularity=[&limit=][&cursor=]` over the
    /// ledger's minute totals (the engine of `billing-service usage`); `from`/`to`
    /// RFC 3339, required. A span of more than `UsageLimits.maxPeriods`
    /// periods is refused with 422. Without `limit` and `cursor` the answer is
    /// the whole array, streamed in pages of `UsageLimits.maxPageRows` rows
    /// when it is longer than one.
    func usage(_ request: Request) async -> Response {
        let query = request.uri.queryParameters
        guard let ledger = ledgers.first else {
            return JSONResponse.error(
                .notFound, code: "no_ledger", "no sink of the configuration is a usage ledger (such as postgres): usage needs the ledger")
        }
        guard let fromText = query["from"].map(String.init) else {
            return JSONResponse.error(.badRequest, code: "bad_request", "from: an RFC 3339 timestamp is required")
        }
        guard let toText = query["to"].map(String.init) else {
            return JSONResponse.error(.badRequest, code: "bad_request", "to: an RFC 3339 timestamp is required")
        }
        let from: Timestamp
        let to: Timestamp
        do {
            from = try Timestamp.parse(rfc3339: fromText)
        } catch {
            return JSONResponse.error(.badRequest, code: "bad_request", "from: \(error)")
        }
        do {
            to = try Timestamp.parse(rfc3339: toText)
        } catch {
            return JSONResponse.error(.badRequest, code: "bad_request", "to: \(error)")
        }
        guard from < to else { return JSONResponse.error(.badRequest, code: "bad_request", "from must be before to") }
        var granularity = UsageGranularity.hour
        if let text = query["granularity"].map(String.init) {
            guard let parsed = UsageGranularity(rawValue: text) else {
                let valid = UsageGranularity.allCases.map(\.rawValue).joined(separator: ", ")
                return JSONResponse.error(
                    .badRequest, code: "bad_request", "granularity: unknown \"\(text)\" (valid: \(valid))")
            }
            granularity = parsed
        }
        let usageQuery = UsageQuery(
            subject: query["subject"].map(String.init), metric: query["metric"].map(String.init), from: from, to: to,
            granularity: granularity)
        let periods = usageQuery.periodCount
        guard periods <= UsageLimits.maxPeriods else {
            return JSONResponse.error(
                .unprocessableContent, code: "span_too_large",
                "from \(fromText) to \(toText) spans \(periods) \(granularity.rawValue) periods; at most "
                    + "\(UsageLimits.maxPeriods) are answered (31 days by minute): narrow the span or use a "
                    + "coarser granularity")
        }
        let limitText = query["limit"].map(String.init)
        let cursorText = query["cursor"].map(String.init)
        var limit = UsageLimits.defaultPageRows
        if let limitText {
            guard let parsed = Int(limitText), (1...UsageLimits.maxPageRows).contains(parsed) else {
                return JSONResponse.error(
                    .badRequest, code: "bad_request",
                    "limit: an integer from 1 to \(UsageLimits.maxPageRows) is required, found \"\(limitText)\"")
            }
            limit = parsed
        }
        var cursor: UsageCursor?
        if let cursorText {
            guard let parsed = UsageCursor(token: cursorText, for: usageQuery) else {
                return JSONResponse.error(
                    .badRequest, code: "bad_request",
                    "cursor: not a next_cursor of this query (the same subject, metric, from, to and granularity)")
            }
            cursor = parsed
        }
        let engine = ledger.ledger
        do {
            if limitText != nil || cursorText != nil {
                let page = try await engine.usage(usageQuery, after: cursor, limit: limit)
                return Self.pagedAnswer(page, query: usageQuery)
            }
            let first = try await engine.usage(usageQuery, after: nil, limit: UsageLimits.maxPageRows)
            guard let next = first.next else { return JSONResponse.bytes(UsageReport.jsonBytes(first.rows)) }
            return streamedAnswer(first.rows, next: next, query: usageQuery, engine: engine)
        } catch let error as PluginError where error.isRetryable {
            return JSONResponse.error(.serviceUnavailable, code: "unavailable", error.description)
        } catch {
            return JSONResponse.error(.internalServerError, code: "internal", "\(error)")
        }
    }

    /// Rows rendered per write of a streamed answer.
    static let rowsPerWrite = 256

    /// `{"next_cursor":…,"rows":[…]}`, the rows rendered a few hundred at a time.
    static func pagedAnswer(_ page: UsagePage, query: UsageQuery) -> Response {
        var head: [UInt8] = Array(#"{"next_cursor":"#.utf8)
        if let next = page.next {
            JSONString.appendQuoted(next.token(for: query), to: &head)
        } else {
            head.append(contentsOf: "null".utf8)
        }
        head.append(contentsOf: #","rows":["#.utf8)
        let start = ByteBuffer(bytes: head)
        let rows = page.rows
        return streaming { writer in
            try await writer.write(start)
            try await write(rows, first: true, to: &writer)
            try await writer.write(ByteBuffer(string: rows.isEmpty ? "]}\n" : "\n]}\n"))
        }
    }

    /// The unpaged array of an answer longer than one page: the same bytes as
    /// `UsageReport.jsonBytes` of all rows, written page by page, so memory
    /// holds one page. A failure after the first page cuts the answer off
    /// (the client sees an incomplete body, never a well-formed short one).
    func streamedAnswer(_ first: [UsageRow], next: UsageCursor, query: UsageQuery, engine: any UsageLedger)
        -> Response
    {
        let logger = logger
        return Self.streaming { writer in
            try await writer.write(ByteBuffer(string: "["))
            try await Self.write(first, first: true, to: &writer)
            var cursor: UsageCursor? = next
            do {
                while let after = cursor {
                    let page = try await engine.usage(query, after: after, limit: UsageLimits.maxPageRows)
                    try await Self.write(page.rows, first: false, to: &writer)
                    cursor = page.next
                }
            } catch {
                logger.error("usage answer cut off after its first page", metadata: ["error": "\(error)"])
                throw error
            }
            try await writer.write(ByteBuffer(string: "\n]\n"))
        }
    }

    /// Rows as `UsageReport.json` separates them: `\n  {…}` for the first, `,\n  {…}` after.
    static func write(_ rows: [UsageRow], first: Bool, to writer: inout any ResponseBodyWriter) async throws {
        var start = 0
        while start < rows.count {
            let end = min(start + rowsPerWrite, rows.count)
            var out: [UInt8] = []
            out.reserveCapacity((end - start) * 200)
            for index in start..<end {
                out.append(contentsOf: (first && index == 0 ? "\n" : ",\n").utf8)
                UsageReport.appendJSONObject(rows[index], to: &out)
            }
            try await writer.write(ByteBuffer(bytes: out))
            start = end
        }
    }

    static func streaming(_ body: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void)
        -> Response
    {
        Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody { writer in
                try await body(&writer)
                try await writer.finish(nil)
            })
    }
}
