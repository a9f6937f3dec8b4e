import Crypto
import Foundation

/// The position after one usage row in the answer's order (period, subject,
/// metric, currency), handed to clients as an opaque `cursor` token.
///
/// Exists so a usage answer can be read in pages without offsets: the next
/// page starts after this key (keyset paging), so each page costs the same
/// and no row is skipped or repeated while the rows before it stay put. A
/// token carries a digest of the query it was made for; it is refused for any
/// other query.
public struct UsageCursor: Sendable, Hashable {
    /// The row's period start, in seconds since the epoch.
    public var period: Int64
    public var subject: String
    public var metric: String
    public var currency: String

    public init(after row: UsageRow) {
        self.period = row.periodStart.nanosecondsSinceEpoch / Timestamp.nanosecondsPerSecond
        self.subject = row.subject
        self.metric = row.metric
        self.currency = row.currency
    }

    struct Token: Codable {
        var v: Int
        var q: String
        var p: Int64
        var s: String
        var m: String
        var c: String
    }

    /// The token for `query`: base64url of a small JSON object.
    public func token(for query: UsageQuery) -> String {
        let token = Token(v: 1, q: Self.digest(of: query), p: period, s: subject, m: metric, c: currency)
        let data = (try? JSONEncoder().encode(token)) ?? Data()
        return data.base64EncodedString().replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
    }

    /// The cursor of a token made for `query`; nil when the text is no such token.
    public init?(token text: String, for query: UsageQuery) {
        guard text.count <= 4_096 else { return nil }
        var base64 = text.replacing("-", with: "+").replacing("_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let token = try? JSONDecoder().decode(Token.self, from: data),
            token.v == 1, token.q == Self.digest(of: query),
            let start = Timestamp(exactlySecondsSinceEpoch: token.p), start < query.to
        else { return nil }
        self.period = token.p
        self.subject = token.s
        self.metric = token.m
        self.currency = token.c
    }

    /// The first 16 hex digits of SHA-256 over the query's fields.
    static func digest(of query: UsageQuery) -> String {
        let text = [
            query.subject.map { "s" + $0 } ?? "-", query.metric.map { "m" + $0 } ?? "-",
            "\(query.from.nanosecondsSinceEpoch)", "\(query.to.nanosecondsSinceEpoch)", query.granularity.rawValue,
        ].joined(separator: "\u{0}")
        return SHA256.hash(data: Array(text.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }
}

/// One page of a usage answer: at most the asked number of rows, and the
/// cursor after the last of them when more follow.
public struct UsagePage: Sendable, Hashable {
    public var rows: [UsageRow]
    /// nil on the last page.
    public var next: UsageCursor?

    public init(rows: [UsageRow], next: UsageCursor?) {
        self.rows = rows
        self.next = next
    }
}

/// How much one usage request may ask for.
///
/// Exists because a read token could ask for every minute from 1678 to 2262:
/// the daemon answered 355 MB and grew by 300 MB. The span is bounded in
/// periods (what the database scans and groups per subject), the page in rows
/// (what one answer holds in memory).
public enum UsageLimits {
    /// Periods one request may span: 31 days of minutes (a calendar month),
    /// about 5 years of hours.
    public static let maxPeriods: Int64 = 44_640
    /// Rows a page holds at most (`limit` cannot ask for more); also the size
    /// of the internal pages an unpaged answer is streamed in.
    public static let maxPageRows = 10_000
    /// Rows of a page when a `cursor` is given without a `limit`.
    public static let defaultPageRows = 1_000
}

extension UsageQuery {
    /// The number of `granularity` periods (UTC) that `[from, to)` touches; 0 when empty.
    public var periodCount: Int64 {
        guard from < to else { return 0 }
        let last = Timestamp(nanosecondsSinceEpoch: to.nanosecondsSinceEpoch - 1)
        return granularity.periodIndex(of: last) - granularity.periodIndex(of: from) + 1
    }
}

extension UsageGranularity {
    /// The number of the period holding `time`, counted from the epoch's (negative before it).
    func periodIndex(of time: Timestamp) -> Int64 {
        let seconds = Self.floorDivide(time.nanosecondsSinceEpoch, Timestamp.nanosecondsPerSecond)
        switch self {
        case .minute: return Self.floorDivide(seconds, 60)
        case .hour: return Self.floorDivide(seconds, 3_600)
        case .day: return Self.floorDivide(seconds, 86_400)
        case .month:
            let civil = Timestamp.civilFromDays(Self.floorDivide(seconds, 86_400))
            return civil.year * 12 + civil.month - 1
        }
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        return r < 0 ? q - 1 : q
    }
}
