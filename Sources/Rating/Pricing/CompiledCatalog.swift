import Core

/// A price catalog with its per-fact lookups precomputed: metric → candidate rules
/// per version, match keys as arrays, exact per-base-unit prices. Shared by the
/// per-fact `Rater` and the period `UsageTotals`, so both resolve a fact to the same rule.
struct CompiledCatalog: Sendable {
    let catalog: PriceCatalog
    let versions: [CompiledVersion]
    /// `versions[i].book.effectiveFrom`, as plain values: the per-fact version check
    /// reads them without touching (and reference counting) the books.
    let starts: [Timestamp]

    init(_ catalog: PriceCatalog) {
        self.catalog = catalog
        versions = catalog.versions.map(CompiledVersion.init)
        starts = versions.map(\.book.effectiveFrom)
    }

    /// The version in force at `minute` (the latest is checked first: live facts use it).
    @inline(__always)
    func versionIndex(at minute: Timestamp) -> Int? {
        var index = starts.count - 1
        while index >= 0 {
            if starts[index] <= minute { return index }
            index -= 1
        }
        return nil
    }

    /// The version and rule that price `series` at `minute`.
    @inline(__always)
    func resolve(_ series: SeriesKey, minute: Timestamp) -> (version: Int, rule: CompiledRule)? {
        guard let v = versionIndex(at: minute), let rule = versions[v].rule(for: series, plans: catalog.plans) else {
            return nil
        }
        return (v, rule)
    }
}

struct CompiledVersion: Sendable {
    let book: PriceBook
    let rules: [String: [CompiledRule]]

    init(_ book: PriceBook) {
        self.book = book
        var rules: [String: [CompiledRule]] = [:]
        for (index, rule) in book.prices.enumerated() {
            rules[rule.metric, default: []].append(CompiledRule(rule, index: index))
        }
        self.rules = rules
    }

    @inline(__always)
    func rule(for series: SeriesKey, plans: PlanAssignments) -> CompiledRule? {
        guard let candidates = rules[series.metric] else { return nil }
        return Self.first(of: candidates, for: series, plans: plans)
    }

    /// The first candidate whose match and plan fit (the plan is looked up only if a rule needs it).
    @inline(__always)
    static func first(of candidates: [CompiledRule], for series: SeriesKey, plans: PlanAssignments) -> CompiledRule? {
        var plan: String??
        for candidate in candidates where candidate.matches(series) {
            if let wanted = candidate.rule.plan {
                if plan == nil { plan = .some(plans.plan(of: series.subject)) }
                guard plan == .some(wanted) else { continue }
            }
            return candidate
        }
        return nil
    }
}

/// A price rule with its per-fact arithmetic precomputed.
///
/// A class so that handing a rule around the per-fact loop is one reference count,
/// not one per array and string it holds (copying the struct was ~4% of rating).
final class CompiledRule: Sendable {
    let rule: PriceRule
    /// Position in its version's `prices`.
    let index: Int
    let matchKeys: [String]
    let matchValues: [String]
    /// The marginal unit price written on facts.
    let unitPrice: Money
    /// `unitPrice ÷ unit` in 10⁻¹⁸ when that division is exact: one multiply per fact.
    let pricePerBaseUnit: Int128?
    let multiplierKeys: [String]
    let multiplierTables: [[String: Money]]
    /// `unit × 10¹⁸`: the denominator of amounts over weighted quantities.
    let weightedUnit: UInt128

    init(_ rule: PriceRule, index: Int) {
        self.rule = rule
        self.index = index
        matchKeys = rule.match.map(\.key)
        matchValues = rule.match.map(\.value)
        unitPrice = rule.model.factUnitPrice
        let (q, r) = unitPrice.scaled.quotientAndRemainder(dividingBy: Int128(rule.unit))
        pricePerBaseUnit = r == 0 ? q : nil
        let keys = rule.multipliers.keys.sorted()
        multiplierKeys = keys
        multiplierTables = keys.map { rule.multipliers[$0] ?? [:] }
        weightedUnit = UInt128(rule.unit) * UInt128(Money.one)
    }

    @inline(__always)
    func matches(_ series: SeriesKey) -> Bool {
        if matchKeys.isEmpty { return true }
        for i in matchKeys.indices where !Self.has(series.dimensions, matchKeys[i], matchValues[i]) { return false }
        return true
    }

    /// Whether `dimensions` has `key` with `value` (as `SeriesKey.dimension(key) == value`,
    /// without copying each label out through a closure).
    @inline(__always)
    static func has(_ dimensions: [Dimension], _ key: String, _ value: String) -> Bool {
        for i in dimensions.indices where dimensions[i].key == key { return dimensions[i].value == value }
        return false
    }

    /// The product of the multipliers that apply to `series` (1 when none do).
    func multiplier(for series: SeriesKey) -> Money {
        var factor = Money(scaled: Money.one)
        for i in multiplierKeys.indices {
            guard let value = series.dimension(multiplierKeys[i]), let m = multiplierTables[i][value] else { continue }
            factor = (try? factor.multiplied(by: UInt128(m.scaled), dividedBy: UInt128(Money.one))) ?? factor
        }
        return factor
    }

    /// `quantity × multiplier` in base units × 10¹⁸, or `nil` when it does not fit.
    @inline(__always)
    func weighted(quantity: UInt64, series: SeriesKey) -> UInt128? {
        if multiplierKeys.isEmpty { return UInt128(quantity) * UInt128(Money.one) }
        let m = multiplier(for: series)
        let (w, overflow) = UInt128(quantity).multipliedReportingOverflow(by: UInt128(m.scaled))
        return overflow ? nil : w
    }

    /// The fact's marginal amount: `quantity × multiplier × unitPrice ÷ unit` at 18 digits.
    @inline(__always)
    func amount(quantity: UInt64, series: SeriesKey) -> Money? {
        if multiplierKeys.isEmpty, let perBase = pricePerBaseUnit {
            let (product, overflow) = Int128(quantity).multipliedReportingOverflow(by: perBase)
            return overflow ? nil : Money(scaled: product)
        }
        guard let w = weighted(quantity: quantity, series: series) else { return nil }
        return try? unitPrice.multiplied(by: w, dividedBy: weightedUnit, rounding: .halfEven)
    }
}
