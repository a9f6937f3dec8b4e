public import Core

/// Computes what each subject owes for a period from usage totals (DESIGN §6):
/// tiers, allowances, minimums and recurring fees over the whole period, rounded
/// once per invoice line. Also quotes a single quantity (`price` command).
///
/// Version changes inside the period: usage is priced by the version in force at
/// each fact's minute, and each (version, rule) is its own part of the line with
/// its own tiers, allowance and minimum. Recurring fees are prorated per version
/// over the part of the period that version was in force.
public enum PeriodCalculator {
    /// The statement of the totals' period.
    ///
    /// - Parameter activity: explicit start/stop spans; an entity (subject, or subject
    ///   and dimension value) with spans is active over their union, otherwise from its
    ///   first fact's `from` to its last fact's `to`.
    public static func statement(_ totals: UsageTotals, activity: [ActivitySpan] = []) throws(RatingError)
        -> PeriodStatement
    {
        if totals.overflowed { throw .periodAmountOutOfRange(subject: totals.subject ?? "*", metric: "*") }
        let compiled = totals.compiled
        let catalog = compiled.catalog
        var grouped: [GroupKey: [(order: (Int, Int), part: LinePart, raw: UInt128)]] = [:]

        for (key, total) in totals.lines {
            let book = compiled.versions[key.version].book
            let rule = book.prices[key.rule]
            var part: LinePart
            do {
                part = try TieredPricing.price(rule: rule, raw: total.raw, weighted: total.weighted, hasUsage: true)
            } catch {
                throw .periodAmountOutOfRange(subject: key.subject, metric: key.metric)
            }
            part.version = book.version
            grouped[GroupKey(subject: key.subject, metric: key.metric, dimension: nil, kind: .usage), default: []]
                .append(((key.version, key.rule), part, total.raw))
        }

        try addRecurringFees(totals, spans: activity, into: &grouped)

        var lines: [StatementLine] = []
        for (key, entries) in grouped {
            let sorted = entries.sorted { $0.order < $1.order }
            var amount = Money.zero
            var quantity: UInt128 = 0
            for entry in sorted {
                amount += entry.part.amount
                quantity &+= entry.raw
            }
            let lastVersion = sorted.last.map { compiled.versions[$0.order.0].book }
            let rounded = amount.rounded(
                minorUnits: catalog.currency.minorUnits, mode: lastVersion?.rounding ?? .halfEven)
            lines.append(
                StatementLine(
                    subject: key.subject, metric: key.metric, dimension: key.dimension, kind: key.kind,
                    quantity: key.kind == .usage ? quantity : sorted.reduce(0) { $0 &+ $1.part.quantity },
                    parts: sorted.map(\.part), amount: amount, amountRounded: rounded))
        }
        lines.sort { lhs, rhs in
            if lhs.subject != rhs.subject { return lhs.subject < rhs.subject }
            if lhs.kind != rhs.kind { return lhs.kind == .usage }
            if lhs.metric != rhs.metric { return lhs.metric < rhs.metric }
            return (lhs.dimension?.value ?? "") < (rhs.dimension?.value ?? "")
        }
        return PeriodStatement(
            period: totals.period, currency: catalog.currency, lines: lines, unpriced: totals.unpriced,
            outsidePeriod: totals.outsidePeriod)
    }

    /// Quotes `quantity` base units of `metric` as one period's usage, priced by the
    /// version in force at `at` (default: the latest version).
    public static func quote(
        catalog: PriceCatalog, metric: String, quantity: UInt128, dimensions: [Dimension] = [],
        subject: String = "", at: Timestamp? = nil
    ) throws(RatingError) -> PriceQuote {
        try quote(
            compiled: CompiledCatalog(catalog), currency: catalog.currency, metric: metric, quantity: quantity,
            dimensions: dimensions, subject: subject, at: at)
    }

    /// `quote` with the catalog compiled once (quote routes price many requests).
    static func quote(
        compiled: CompiledCatalog, currency: Currency, metric: String, quantity: UInt128, dimensions: [Dimension],
        subject: String, at: Timestamp?
    ) throws(RatingError) -> PriceQuote {
        let series = SeriesKey(source: "", subject: subject, metric: metric, dimensions: dimensions)
        let minute = at ?? compiled.versions.last?.book.effectiveFrom ?? Timestamp(nanosecondsSinceEpoch: 0)
        guard let (v, rule) = compiled.resolve(series, minute: minute) else {
            return PriceQuote(
                metric: metric, quantity: quantity, dimensions: series.dimensions, part: nil, amount: .zero,
                amountRounded: .zero, currency: currency)
        }
        let book = compiled.versions[v].book
        let factor = rule.multiplier(for: series)
        let (weighted, overflow) = quantity.multipliedReportingOverflow(by: UInt128(factor.scaled))
        var part: LinePart
        do {
            if overflow { throw TieredPricing.Overflow() }
            part = try TieredPricing.price(rule: rule.rule, raw: quantity, weighted: weighted, hasUsage: quantity > 0)
        } catch {
            throw .periodAmountOutOfRange(subject: subject, metric: metric)
        }
        part.version = book.version
        return PriceQuote(
            metric: metric, quantity: quantity, dimensions: series.dimensions, part: part, amount: part.amount,
            amountRounded: part.amount.rounded(minorUnits: book.currency.minorUnits, mode: book.rounding),
            currency: book.currency)
    }

    struct GroupKey: Hashable {
        var subject: String
        var metric: String
        var dimension: Dimension?
        var kind: StatementLine.Kind
    }

    /// Prorates every recurring fee of every version segment of the period.
    static func addRecurringFees(
        _ totals: UsageTotals, spans: [ActivitySpan],
        into grouped: inout [GroupKey: [(order: (Int, Int), part: LinePart, raw: UInt128)]]
    ) throws(RatingError) {
        let compiled = totals.compiled
        let period = totals.period
        guard compiled.versions.contains(where: { !$0.book.recurring.isEmpty }) else { return }

        // Active intervals per entity: explicit spans win over first-to-last activity.
        var intervals: [ActivityKey: [(Int64, Int64)]] = [:]
        for span in spans where totals.subject == nil || span.subject == totals.subject {
            let stop = span.stop ?? period.end
            intervals[ActivityKey(subject: span.subject, dimension: span.dimension), default: []].append(
                (span.start.nanosecondsSinceEpoch, stop.nanosecondsSinceEpoch))
        }
        for (key, range) in totals.activity where intervals[key] == nil {
            intervals[key] = [(range.first.nanosecondsSinceEpoch, range.last.nanosecondsSinceEpoch)]
        }
        let merged = intervals.mapValues(union)

        for (v, version) in compiled.versions.enumerated() {
            let book = version.book
            let segmentStart = max(book.effectiveFrom, period.start).nanosecondsSinceEpoch
            let nextStart =
                v + 1 < compiled.versions.count
                ? compiled.versions[v + 1].book.effectiveFrom.nanosecondsSinceEpoch : Int64.max
            let segmentEnd = min(nextStart, period.end.nanosecondsSinceEpoch)
            guard segmentStart < segmentEnd else { continue }
            for (feeIndex, fee) in book.recurring.enumerated() {
                for (entity, ranges) in merged {
                    guard entity.dimension?.key == fee.per else { continue }
                    if let plan = fee.plan, compiled.catalog.plans.plan(of: entity.subject) != plan { continue }
                    var active: Int64 = 0
                    for (start, end) in ranges {
                        let lo = max(start, segmentStart)
                        let hi = min(end, segmentEnd)
                        if hi > lo { active += hi - lo }
                    }
                    guard active > 0 else { continue }
                    let amount: Money
                    do {
                        amount = try fee.amount.multiplied(
                            by: UInt128(active), dividedBy: UInt128(period.nanoseconds), rounding: .halfEven)
                    } catch {
                        throw .periodAmountOutOfRange(subject: entity.subject, metric: "fee." + fee.name)
                    }
                    let part = LinePart(
                        version: book.version, ruleLine: fee.line, model: "recurring",
                        unit: UInt64(period.nanoseconds), unitName: "period", quantity: UInt128(active),
                        billedUnits: (try? Money(scaled: Money.one).multiplied(
                            by: UInt128(active), dividedBy: UInt128(period.nanoseconds))) ?? .zero,
                        allowanceUsed: .zero,
                        tiers: [
                            TierCharge(
                                index: 0,
                                units: (try? Money(scaled: Money.one).multiplied(
                                    by: UInt128(active), dividedBy: UInt128(period.nanoseconds))) ?? .zero,
                                unitPrice: fee.amount, flatFee: .zero, amount: amount)
                        ],
                        minimumTopUp: .zero, amount: amount)
                    let key = GroupKey(
                        subject: entity.subject, metric: "fee." + fee.name, dimension: entity.dimension,
                        kind: .recurringFee)
                    grouped[key, default: []].append(((v, feeIndex), part, UInt128(active)))
                }
            }
        }
    }

    /// Merges overlapping intervals, so overlapping spans are not counted twice.
    static func union(_ ranges: [(Int64, Int64)]) -> [(Int64, Int64)] {
        let sorted = ranges.filter { $0.1 > $0.0 }.sorted { $0.0 < $1.0 }
        var out: [(Int64, Int64)] = []
        for range in sorted {
            if let last = out.last, range.0 <= last.1 {
                out[out.count - 1].1 = max(last.1, range.1)
            } else {
                out.append(range)
            }
        }
        return out
    }
}
