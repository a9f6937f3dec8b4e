public import Core

/// The usage of one billing period, summed per subject, metric, price version and
/// rule: the only input of the period calculation.
///
/// Sums are integers, so adding facts in any order, or merging totals built from
/// any split of the facts, gives the same totals, hence the same amounts to the
/// last digit. Facts of other subjects (with a subject filter) are skipped; facts
/// outside the period are counted in `outsidePeriod`.
public struct UsageTotals: Sendable {
    public let period: BillingPeriod
    /// Only this subject's facts are summed (`--subject`), or every subject.
    public let subject: String?
    let compiled: CompiledCatalog
    var lines: [LineKey: LineTotal] = [:]
    var activity: [ActivityKey: ActivityRange] = [:]
    /// The dimension keys recurring fees are charged per (`per: vm_id`).
    let feeDimensions: [String]
    /// Usage no price matched, per metric.
    public private(set) var unpriced: [String: UnpricedUsage] = [:]
    /// The same per subject, then metric (what an invoice shows as not billed).
    public private(set) var unpricedBySubject: [String: [String: UnpricedUsage]] = [:]
    /// Facts whose minute lies outside the period.
    public private(set) var outsidePeriod = 0
    /// Facts summed (priced or not).
    public private(set) var facts = 0
    var overflowed = false

    public init(catalog: PriceCatalog, period: BillingPeriod, subject: String? = nil) {
        self.period = period
        self.subject = subject
        compiled = CompiledCatalog(catalog)
        var keys: Set<String> = []
        for book in catalog.versions { for fee in book.recurring { if let per = fee.per { keys.insert(per) } } }
        feeDimensions = keys.sorted()
    }

    public mutating func add<S: Sequence<UsageFact>>(contentsOf facts: S) {
        for fact in facts { add(fact) }
    }

    public mutating func add(_ fact: UsageFact) {
        if let subject, fact.series.subject != subject { return }
        guard period.contains(fact.minute) else {
            outsidePeriod += 1
            return
        }
        facts += 1
        let subjectName = fact.series.subject
        noteActivity(ActivityKey(subject: subjectName, dimension: nil), fact)
        for key in feeDimensions {
            if let value = fact.series.dimension(key) {
                noteActivity(ActivityKey(subject: subjectName, dimension: Dimension(key, value)), fact)
            }
        }
        guard let (version, rule) = compiled.resolve(fact.series, minute: fact.minute) else {
            unpriced[fact.series.metric, default: UnpricedUsage()].add(facts: 1, quantity: UInt128(fact.quantity))
            unpricedBySubject[subjectName, default: [:]][fact.series.metric, default: UnpricedUsage()].add(
                facts: 1, quantity: UInt128(fact.quantity))
            return
        }
        guard let weighted = rule.weighted(quantity: fact.quantity, series: fact.series) else {
            overflowed = true
            return
        }
        let key = LineKey(subject: subjectName, metric: fact.series.metric, version: version, rule: rule.index)
        lines[key, default: LineTotal()].add(
            LineTotal(raw: UInt128(fact.quantity), weighted: weighted, facts: 1, factAmount: fact.amount),
            overflowed: &overflowed)
    }

    /// Adds totals built from other facts of the same catalog and period.
    public mutating func merge(_ other: UsageTotals) {
        for (key, total) in other.lines { lines[key, default: LineTotal()].add(total, overflowed: &overflowed) }
        for (key, range) in other.activity {
            if let mine = activity[key] {
                activity[key] = ActivityRange(first: min(mine.first, range.first), last: max(mine.last, range.last))
            } else {
                activity[key] = range
            }
        }
        for (metric, usage) in other.unpriced {
            unpriced[metric, default: UnpricedUsage()].add(facts: usage.facts, quantity: usage.quantity)
        }
        for (name, metrics) in other.unpricedBySubject {
            for (metric, usage) in metrics {
                unpricedBySubject[name, default: [:]][metric, default: UnpricedUsage()].add(
                    facts: usage.facts, quantity: usage.quantity)
            }
        }
        outsidePeriod += other.outsidePeriod
        facts += other.facts
        overflowed = overflowed || other.overflowed
    }

    private mutating func noteActivity(_ key: ActivityKey, _ fact: UsageFact) {
        if let range = activity[key] {
            activity[key] = ActivityRange(first: min(range.first, fact.from), last: max(range.last, fact.to))
        } else {
            activity[key] = ActivityRange(first: fact.from, last: fact.to)
        }
    }
}

/// Usage that no price matched, kept so a report can show it (never dropped).
public struct UnpricedUsage: Hashable, Sendable {
    public var facts = 0
    /// Base units.
    public var quantity: UInt128 = 0

    public init() {}

    mutating func add(facts: Int, quantity: UInt128) {
        self.facts += facts
        self.quantity &+= quantity
    }
}

struct LineKey: Hashable, Sendable {
    var subject: String
    var metric: String
    var version: Int
    var rule: Int
}

struct LineTotal: Sendable {
    /// Base units.
    var raw: UInt128 = 0
    /// Base units × multiplier, in 10⁻¹⁸.
    var weighted: UInt128 = 0
    var facts = 0
    /// Sum of the facts' marginal amounts (for reconciliation with the ledger).
    var factAmount: Money = .zero

    mutating func add(_ other: LineTotal, overflowed: inout Bool) {
        let (r, o1) = raw.addingReportingOverflow(other.raw)
        let (w, o2) = weighted.addingReportingOverflow(other.weighted)
        raw = r
        weighted = w
        facts += other.facts
        factAmount += other.factAmount
        if o1 || o2 { overflowed = true }
    }
}

struct ActivityKey: Hashable, Sendable {
    var subject: String
    var dimension: Dimension?
}

struct ActivityRange: Sendable {
    var first: Timestamp
    var last: Timestamp
}

/// An explicit interval a subject (or one VM: `dimension` `vm_id=…`) was active,
/// from start/stop notifications. When an entity has spans, recurring fees use
/// their union instead of its first-to-last activity.
public struct ActivitySpan: Hashable, Sendable {
    public var subject: String
    public var dimension: Dimension?
    public var start: Timestamp
    /// `nil`: still active at the end of the period.
    public var stop: Timestamp?

    public init(subject: String, dimension: Dimension? = nil, start: Timestamp, stop: Timestamp? = nil) {
        self.subject = subject
        self.dimension = dimension
        self.start = start
        self.stop = stop
    }
}
