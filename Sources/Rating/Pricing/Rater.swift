public import Core

/// Prices metered facts one by one, at full ledger precision (DESIGN §6).
///
/// Each fact's `amount` is `quantity × multiplier × unit_price ÷ unit`, exact to the
/// ledger's 18 fractional digits (one half-even rounding at the 18th digit when the
/// division does not terminate), priced by the version in force at the fact's
/// minute. For tiered and package models the fact carries the base tier's
/// marginal price; the true total comes from the period calculation
/// (`PeriodCalculator`), which depends only on usage totals. A fact whose metric
/// has no price (or lies before the first version) is rated zero, keeps its
/// quantity, and is counted per metric in `RatingStats.unpriced`: never dropped.
/// Lookups are precompiled, so the per-fact path is a version check, a dictionary
/// probe, a match scan and an integer multiply.
public struct Rater: Sendable {
    public var catalog: PriceCatalog { compiled.catalog }
    let compiled: CompiledCatalog

    public init(catalog: PriceCatalog) {
        compiled = CompiledCatalog(catalog)
    }

    /// A single version, no plans.
    public init(book: PriceBook) {
        self.init(catalog: PriceCatalog(book: book))
    }

    /// The version and rule that price `series` at `minute`, if any.
    public func rule(for series: SeriesKey, at minute: Timestamp) -> (book: PriceBook, rule: PriceRule)? {
        guard let (v, rule) = compiled.resolve(series, minute: minute) else { return nil }
        return (compiled.versions[v].book, rule.rule)
    }

    /// Sets amount, currency and price book version on every fact.
    public func rate(_ facts: inout [UsageFact]) throws(RatingError) -> RatingStats {
        var stats = RatingStats()
        var failure: RatingError?
        facts.withUnsafeMutableBufferPointer { facts in
            failure = rate(facts, stats: &stats)
        }
        if let failure { throw failure }
        return stats
    }

    /// The per-fact loop over the facts' memory: reading a fact's series in place
    /// instead of through `Array`'s copy-on-write checks lets the compiler borrow it
    /// rather than copy its strings for every lookup. Returns the first error.
    private func rate(_ facts: UnsafeMutableBufferPointer<UsageFact>, stats: inout RatingStats) -> RatingError? {
        let currency = compiled.catalog.currency.code
        let plans = compiled.catalog.plans
        // Facts of a batch mostly share a version and a few metrics (xray alternates
        // uplink and downlink): keep the last lookups instead of repeating them per fact.
        var versionIndex = -1
        var priceBook: String?
        var metricRules = MetricRuleCache(rules: [:])
        for index in facts.indices {
            facts[index].currency = currency
            let v = compiled.versionIndex(at: facts[index].minute) ?? -1
            if v != versionIndex {
                versionIndex = v
                priceBook = v >= 0 ? compiled.versions[v].book.version : nil
                metricRules = MetricRuleCache(rules: v >= 0 ? compiled.versions[v].rules : [:])
            }
            guard let priceBook else {
                facts[index].amount = .zero
                facts[index].priceBook = ""
                stats.unpriced[facts[index].series.metric, default: 0] += 1
                continue
            }
            facts[index].priceBook = priceBook
            let rule: CompiledRule?
            switch metricRules.rules(for: facts[index].series.metric) {
            case .always(let only): rule = only
            case .firstMatch(let candidates):
                rule = CompiledVersion.first(of: candidates, for: facts[index].series, plans: plans)
            case .unpriced: rule = nil
            }
            guard let rule else {
                facts[index].amount = .zero
                stats.unpriced[facts[index].series.metric, default: 0] += 1
                continue
            }
            guard let amount = rule.amount(quantity: facts[index].quantity, series: facts[index].series) else {
                return .amountOutOfRange(fact: facts[index].id, metric: facts[index].series.metric)
            }
            facts[index].amount = amount
            stats.rated += 1
        }
        return nil
    }
}

/// What rating a batch did.
public struct RatingStats: Hashable, Sendable {
    /// Facts that matched a price.
    public var rated = 0
    /// Facts rated zero because no price matched, per metric.
    public var unpriced: [String: Int] = [:]

    public init() {}

    public mutating func add(_ other: RatingStats) {
        rated += other.rated
        for (metric, count) in other.unpriced { unpriced[metric, default: 0] += count }
    }
}

/// An amount that cannot be computed exactly: fail rather than write a wrong number.
public enum RatingError: Error, Sendable, Hashable, CustomStringConvertible {
    case amountOutOfRange(fact: FactID, metric: String)
    case periodAmountOutOfRange(subject: String, metric: String)

    public var description: String {
        switch self {
        case .amountOutOfRange(let fact, let metric):
            return "fact \(fact.hex) (\(metric)): amount out of the ledger's range"
        case .periodAmountOutOfRange(let subject, let metric):
            return "\(subject) \(metric): period amount out of the ledger's range"
        }
    }
}
