import Core
import Testing

@testable import PostgresSink

/// Keyset pages of usage answers, their cursors, and the span bound (issue 12, item 8).
@Suite struct UsagePagingTests {
    /// Every page of `query` at `limit` rows, in order.
    static func allPages(_ engine: UsageQueryEngine, _ query: UsageQuery, limit: Int) async throws -> [UsagePage] {
        var pages: [UsagePage] = []
        var cursor: UsageCursor?
        repeat {
            let page = try await engine.page(query, after: cursor, limit: limit)
            #expect(page.rows.count <= limit)
            pages.append(page)
            cursor = page.next
        } while cursor != nil && pages.count < 100
        return pages
    }

    @Test(
        "pages in a row are the unpaged answer, each row once, whatever the page size",
        arguments: [UsageGranularity.minute, .hour, .month], [1, 2, 3, 100])
    func pagesAddUp(granularity: UsageGranularity, limit: Int) async throws {
        try await TestLedger.with { db in
            try await UsageQueryTests.seed(db)
            let engine = UsageQueryEngine(database: db.database)
            for subject in [nil, "acct-1"] {
                let query = UsageQueryTests.query(granularity, subject: subject)
                let whole = try await engine.run(query)
                let pages = try await Self.allPages(engine, query, limit: limit)
                #expect(pages.flatMap(\.rows) == whole, "\(granularity) \(subject ?? "all") limit \(limit)")
                #expect(pages.last?.next == nil)
                #expect(pages.dropLast().allSatisfy { $0.rows.count == limit })
            }
        }
    }

    @Test("a cursor token is refused for another query, when altered, and when its period is out of range")
    func cursorTokens() throws {
        let query = UsageQueryTests.query(.hour, subject: "acct-1")
        let row = UsageRow(
            subject: "acct-1", metric: "uplink_bytes", unit: "byte", periodStart: Fixtures.november,
            quantity: "1", amount: Money.zero, currency: "USD")
        let cursor = UsageCursor(after: row)
        let token = cursor.token(for: query)
        #expect(UsageCursor(token: token, for: query) == cursor)
        #expect(!token.contains("=") && !token.contains("+") && !token.contains("/"))
        var other = query
        other.granularity = .day
        #expect(UsageCursor(token: token, for: other) == nil)
        other = query
        other.subject = nil
        #expect(UsageCursor(token: token, for: other) == nil)
        #expect(UsageCursor(token: "x" + token, for: query) == nil)
        #expect(UsageCursor(token: "", for: query) == nil)
        var far = cursor
        far.period = Int64.max / 2
        #expect(UsageCursor(token: far.token(for: query), for: query) == nil)
    }

    static func at(_ text: String) -> Timestamp {
        Timestamp(rfc3339: text) ?? Timestamp(secondsSinceEpoch: 0)
    }

    @Test(
        "periodCount counts the UTC periods [from, to) touches",
        arguments: [
            ("2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z", UsageGranularity.minute, Int64(60)),
            ("2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z", .hour, 1),
            ("2026-01-01T00:30:00Z", "2026-01-01T01:30:00Z", .hour, 2),
            ("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", .minute, 44_640),
            ("2026-01-31T23:59:00Z", "2026-03-01T00:00:00Z", .month, 2),
            ("2024-02-28T00:00:00Z", "2024-03-01T00:00:00.000000001Z", .day, 3),
            ("1969-12-31T23:59:30Z", "1970-01-01T00:00:30Z", .minute, 2),
            ("1678-01-01T00:00:00Z", "2262-01-01T00:00:00Z", .minute, 307_153_440),
            ("1678-01-01T00:00:00Z", "2262-01-01T00:00:00Z", .month, 7_008),
        ])
    func periodCount(from: String, to: String, granularity: UsageGranularity, count: Int64) {
        let query = UsageQuery(from: Self.at(from), to: Self.at(to), granularity: granularity)
        #expect(query.periodCount == count)
    }
}
