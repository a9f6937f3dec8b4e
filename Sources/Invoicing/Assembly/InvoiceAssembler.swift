public import Core
public import Rating

/// A correction of a finalized invoice carried onto the subject's next invoice:
/// what re-rating the closed period now gives minus what was finalized.
public struct InvoiceAdjustment: Sendable, Hashable {
    public var subject: String
    /// The number of the finalized invoice this corrects.
    public var refersTo: String
    /// The corrected period, `YYYY-MM`.
    public var period: String
    /// Exact and rounded difference (positive: the customer owes more).
    public var amount: Money
    public var amountRounded: Money

    public init(subject: String, refersTo: String, period: String, amount: Money, amountRounded: Money) {
        self.subject = subject
        self.refersTo = refersTo
        self.period = period
        self.amount = amount
        self.amountRounded = amountRounded
    }
}

/// Builds the invoices of one period: a pure function of the price catalog,
/// the period's usage totals, activity spans, customers and adjustments.
///
/// Exists so the run, the daemon's schedule and `invoice verify` compute an
/// invoice the same way, to the last digit, from the same inputs. Usage lines
/// and prorated fee lines come from `PeriodCalculator` over the period totals
/// (tiers over the whole period, never per-fact marginal amounts).
///
/// Order of application, each line rounded once to the currency's minor units
/// with the price book's rounding mode:
/// 1. usage lines, then recurring fee lines (their rounded sum is the subtotal),
///    then usage no price applies to, as zero lines that say so;
/// 2. percentage coupons in the customer file's order, each on what remains
///    after the previous discounts (10 % and 10 % take 19 %);
/// 3. fixed-amount coupons in file order, each capped at what remains, so the
///    discounted amount never goes below zero;
/// 4. adjustment lines for earlier finalized invoices (not discounted).
/// The total is the sum of the rounded lines; the exact total is kept beside it.
public enum InvoiceAssembler {
    /// One invoice per subject with usage, fees or an adjustment in the period.
    public static func assemble(
        period: BillingPeriod, catalog: PriceCatalog, usage: [SeriesPeriodTotal], spans: [ActivitySpan],
        customers: CustomerDirectory = .empty, adjustments: [InvoiceAdjustment] = [], subject: String? = nil
    ) throws(InvoiceError) -> [Invoice] {
        let currency = catalog.currency
        let rounding = catalog.versions.last?.rounding ?? .halfEven
        let rated = try ratingCatalog(catalog, customers: customers)
        var totals = UsageTotals(catalog: rated, period: period, subject: subject)
        for part in usage.merged().sorted(by: Self.order) { totals.add(contentsOf: part.facts()) }
        let statement: PeriodStatement
        do {
            statement = try PeriodCalculator.statement(totals, activity: spans)
        } catch {
            throw .rating(error.description)
        }

        var linesBySubject: [String: [InvoiceLine]] = [:]
        for line in statement.lines { linesBySubject[line.subject, default: []].append(invoiceLine(line)) }
        // Usage no price applies to is shown, not billed: never dropped without a word.
        for (name, metrics) in totals.unpricedBySubject {
            for metric in metrics.keys.sorted() {
                guard let usage = metrics[metric] else { continue }
                linesBySubject[name, default: []].append(
                    InvoiceLine(
                        kind: .usage, metric: metric,
                        description: metric + " (not billed: no price of the price book applies)",
                        quantity: String(usage.quantity), unit: MetricUnit.of(metric: metric), billedUnits: .zero,
                        amount: .zero, amountRounded: .zero))
            }
        }

        var invoices: [Invoice] = []
        let subjects = Set(linesBySubject.keys).union(
            adjustments.filter { subject == nil || $0.subject == subject }.map(\.subject))
        for name in subjects.sorted() {
            let customer = customers.customer(of: name)
            // The invoice keeps who it is addressed to; coupons show as their lines.
            let addressee = customer.map { entry -> Customer in
                var copy = entry
                copy.coupons = []
                copy.currency = nil
                return copy
            }
            if let billed = customer?.currency, billed != currency.code {
                throw .currencyMismatch(subject: name, customer: billed, priceBook: currency.code)
            }
            var lines = linesBySubject[name] ?? []
            lines += try discountLines(
                subtotal: lines.reduce(.zero) { $0 + $1.amountRounded }, coupons: customer?.coupons ?? [],
                period: BillingPeriodKey(year: period.year, month: period.month), currency: currency,
                rounding: rounding, subject: name)
            for adjustment in adjustments where adjustment.subject == name {
                lines.append(
                    InvoiceLine(
                        kind: .adjustment, metric: "adjustment",
                        description: "Correction of \(adjustment.refersTo) (\(adjustment.period)): late usage",
                        amount: adjustment.amount, amountRounded: adjustment.amountRounded,
                        refersTo: adjustment.refersTo))
            }
            invoices.append(
                Invoice(
                    id: InvoiceID.make(subject: name, period: period, currency: currency.code), subject: name,
                    customer: addressee, periodStart: period.start, periodEnd: period.end, currency: currency,
                    lines: lines))
        }
        return invoices
    }

    /// The catalog with the customer file's plans laid over the price book's.
    static func ratingCatalog(_ catalog: PriceCatalog, customers: CustomerDirectory) throws(InvoiceError)
        -> PriceCatalog
    {
        let overrides = customers.customers.compactMapValues(\.plan)
        guard !overrides.isEmpty else { return catalog }
        var subjects = catalog.plans.subjects
        for (subject, plan) in overrides { subjects[subject] = plan }
        do {
            return try PriceCatalog(
                versions: catalog.versions,
                plans: PlanAssignments(defaultPlan: catalog.plans.defaultPlan, subjects: subjects))
        } catch {
            throw .rating("customer plans: \(error)")
        }
    }

    static func order(_ a: SeriesPeriodTotal, _ b: SeriesPeriodTotal) -> Bool {
        if a.series.subject != b.series.subject { return a.series.subject < b.series.subject }
        if a.series.metric != b.series.metric { return a.series.metric < b.series.metric }
        if a.firstMinute != b.firstMinute { return a.firstMinute < b.firstMinute }
        if a.series.source != b.series.source { return a.series.source < b.series.source }
        return a.series.dimensions.map { $0.key + "=" + $0.value }.lexicographicallyPrecedes(
            b.series.dimensions.map { $0.key + "=" + $0.value })
    }

    /// A statement line as an invoice line: quantities as integer strings, fee time in seconds.
    static func invoiceLine(_ line: StatementLine) -> InvoiceLine {
        let tiers = line.parts.flatMap { part in
            part.tiers.map {
                InvoiceTier(
                    version: part.version, index: $0.index, units: $0.units, unitPrice: $0.unitPrice,
                    flatFee: $0.flatFee, amount: $0.amount)
            }
        }
        let billed = line.parts.reduce(Money.zero) { $0 + $1.billedUnits }
        switch line.kind {
        case .usage:
            let unitName = line.parts.last?.unitName
            return InvoiceLine(
                kind: .usage, metric: line.metric,
                description: line.metric + (unitName.map { " (\($0))" } ?? ""), quantity: String(line.quantity),
                unit: MetricUnit.of(metric: line.metric), billedUnits: billed, tiers: tiers, amount: line.amount,
                amountRounded: line.amountRounded)
        case .recurringFee:
            let seconds = line.quantity / UInt128(Timestamp.nanosecondsPerSecond)
            let entity = line.dimension.map { " (\($0.key)=\($0.value))" } ?? ""
            return InvoiceLine(
                kind: .fee, metric: line.metric, description: line.metric + entity, quantity: String(seconds),
                unit: "second", billedUnits: billed, tiers: tiers, amount: line.amount,
                amountRounded: line.amountRounded)
        }
    }

    /// The discount lines of `coupons` that apply to `period`, in the documented order.
    static func discountLines(
        subtotal: Money, coupons: [Coupon], period: BillingPeriodKey, currency: Currency, rounding: RoundingMode,
        subject: String
    ) throws(InvoiceError) -> [InvoiceLine] {
        var remaining = max(subtotal, .zero)
        var out: [InvoiceLine] = []
        let applicable = coupons.filter { $0.applies(to: period) }
        for coupon in applicable {
            guard case .percent(let percent) = coupon.value else { continue }
            let exact: Money
            do {
                exact = try remaining.multiplied(
                    by: UInt128(percent.scaled), dividedBy: UInt128(Money.one) * 100, rounding: .halfEven)
            } catch {
                throw .rating("coupon \(coupon.id): \(error)")
            }
            let rounded = min(exact.rounded(minorUnits: currency.minorUnits, mode: rounding), remaining)
            remaining = remaining - rounded
            out.append(
                InvoiceLine(
                    kind: .discount, metric: coupon.id, description: "\(coupon.id): \(percent)% off",
                    amount: -exact, amountRounded: -rounded))
        }
        for coupon in applicable {
            guard case .fixed(let amount, let code) = coupon.value else { continue }
            guard code == currency.code else {
                throw .couponCurrency(subject: subject, coupon: coupon.id, couponCurrency: code, invoice: currency.code)
            }
            let applied = min(amount, remaining)
            let rounded = applied.rounded(minorUnits: currency.minorUnits, mode: rounding)
            remaining = remaining - rounded
            out.append(
                InvoiceLine(
                    kind: .discount, metric: coupon.id,
                    description: "\(coupon.id): \(amount) \(code) off" + (applied < amount ? " (capped)" : ""),
                    amount: -applied, amountRounded: -rounded))
        }
        return out
    }
}
