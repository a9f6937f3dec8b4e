import Core
import Foundation
import Rating
import TestKit
import Testing
import YAMLConfig

let november = BillingPeriod(year: 2026, month: 11)!

/// An instant `day` (1-based) of November 2026 at `hour`:`minute`.
func nov(_ day: Int64, _ hour: Int64 = 0, _ minute: Int64 = 0) -> Timestamp {
    monthStart.adding(nanoseconds: ((day - 1) * 1440 + hour * 60 + minute) * 60_000_000_000)
}

func loadCatalog(_ relativePath: String) throws -> PriceCatalog {
    let path = Repository.path(relativePath)
    return try PriceCatalog.decode(YAMLDocument.load(path: path), file: relativePath)
}

func parseCatalog(_ text: String) throws(ConfigError) -> PriceCatalog {
    try PriceCatalog.decode(YAMLDocument.parse(text, file: "book.yaml"), file: "book.yaml")
}

func catalogProblems(_ text: String) -> [String] {
    do {
        _ = try parseCatalog(text)
        return []
    } catch {
        return error.problems.map(\.description)
    }
}

/// A usage fact of `quantity` base units in the minute of `to`, active over [from, to].
func usage(
    _ subject: String, _ metric: String, _ quantity: UInt64, at to: Timestamp, from: Timestamp? = nil,
    _ dimensions: [Core.Dimension] = []
) -> UsageFact {
    let key = SeriesKey(source: "s", subject: subject, metric: metric, dimensions: dimensions)
    let start = from ?? to
    return UsageFact(
        id: FactIdentity.intervalFactID(
            series: FactIdentity.seriesDigest(key), from: start, to: to, minute: to.minuteStart),
        series: key, from: start, to: to, minute: to.minuteStart, quantity: quantity)
}

func statement(
    _ catalog: PriceCatalog, _ facts: [UsageFact], activity: [ActivitySpan] = [], subject: String? = nil
) throws -> PeriodStatement {
    var totals = UsageTotals(catalog: catalog, period: november, subject: subject)
    totals.add(contentsOf: facts)
    return try PeriodCalculator.statement(totals, activity: activity)
}

func money(_ text: String) -> Money { Money(decimal: text) ?? Money(scaled: -1) }
