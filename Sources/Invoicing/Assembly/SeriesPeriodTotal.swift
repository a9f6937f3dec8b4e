public import Core
public import Rating

/// One series' usage summed over the part of a period one price book version
/// prices: what the ledger's minute totals (or an audit file) reduce to.
///
/// Exists as the only usage input of invoice assembly, so an invoice computed
/// from the ledger and one recomputed from an audit file see the same numbers:
/// both sum minute quantities per series and version segment.
public struct SeriesPeriodTotal: Sendable, Hashable {
    public var series: SeriesKey
    /// The first minute with usage in this part (it selects the price book version).
    public var firstMinute: Timestamp
    /// The last minute with usage in this part.
    public var lastMinute: Timestamp
    /// Base units.
    public var quantity: UInt128

    public init(series: SeriesKey, firstMinute: Timestamp, lastMinute: Timestamp, quantity: UInt128) {
        self.series = series
        self.firstMinute = firstMinute
        self.lastMinute = lastMinute
        self.quantity = quantity
    }

    /// The starts of the version segments of `period`: the period start and
    /// every version's `effectiveFrom` inside it, ascending. A store sums minute
    /// totals per series and segment.
    public static func segmentStarts(of catalog: PriceCatalog, in period: BillingPeriod) -> [Timestamp] {
        var out = [period.start]
        for book in catalog.versions where book.effectiveFrom > period.start && book.effectiveFrom < period.end {
            out.append(book.effectiveFrom)
        }
        return Array(Set(out)).sorted()
    }

    /// The same usage as facts the period engine sums: one per 2⁶⁴−1 base units,
    /// at the part's first minute, active from its first to the end of its last minute.
    func facts() -> [UsageFact] {
        var out: [UsageFact] = []
        var rest = quantity
        let to = lastMinute.adding(nanoseconds: Timestamp.nanosecondsPerMinute)
        repeat {
            let chunk = UInt64(min(rest, UInt128(UInt64.max)))
            rest -= UInt128(chunk)
            out.append(
                UsageFact(
                    id: Digest128(high: 0, low: UInt64(out.count)), series: series, from: firstMinute, to: to,
                    minute: firstMinute, quantity: chunk))
        } while rest > 0
        return out
    }
}

extension Array where Element == SeriesPeriodTotal {
    /// Sums parts of the same series and first minute, so the order and split of
    /// the input never changes the result.
    public func merged() -> [SeriesPeriodTotal] {
        var byKey: [SeriesPartKey: SeriesPeriodTotal] = [:]
        for part in self {
            let key = SeriesPartKey(series: part.series, first: part.firstMinute)
            if var existing = byKey[key] {
                existing.quantity += part.quantity
                existing.lastMinute = Swift.max(existing.lastMinute, part.lastMinute)
                byKey[key] = existing
            } else {
                byKey[key] = part
            }
        }
        return Array(byKey.values)
    }
}

/// A series and the first minute of one of its parts.
struct SeriesPartKey: Hashable {
    var series: SeriesKey
    var first: Timestamp
}
