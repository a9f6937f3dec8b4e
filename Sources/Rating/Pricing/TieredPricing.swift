import Core

/// The period price of one rule for one total: allowance first, then the model's
/// tiers, then the minimum. A pure function of (rule, weighted total), so it is the
/// same whatever the order of the facts that made the total.
///
/// Quantities here are weighted base units in 10⁻¹⁸ (`quantity × multiplier`), so a
/// tier bound of `up_to` billed units is `up_to × unit` in those units, and the
/// amount of a portion `p` at `price` is `price × p ÷ (unit × 10¹⁸)`, exact to 18
/// digits (one half-even rounding at the 18th digit per portion).
enum TieredPricing {
    struct Overflow: Error {}

    static func price(rule: PriceRule, raw: UInt128, weighted: UInt128, hasUsage: Bool) throws(Overflow) -> LinePart {
        let unitW = UInt128(rule.unit) * UInt128(Money.one)
        func bound(_ units: Money) throws(Overflow) -> UInt128 {
            let (v, o) = UInt128(units.scaled).multipliedReportingOverflow(by: UInt128(rule.unit))
            if o { throw Overflow() }
            return v
        }
        func charge(_ price: Money, _ portion: UInt128) throws(Overflow) -> Money {
            do { return try price.multiplied(by: portion, dividedBy: unitW, rounding: .halfEven) } catch {
                throw Overflow()
            }
        }
        func units(_ w: UInt128) -> Money {
            let (q, _) = w.quotientAndRemainder(dividingBy: UInt128(rule.unit))
            return Money(scaled: Int128(clamping: q))
        }
        let allowance = try bound(rule.allowance)
        let allowanceUsed = min(allowance, weighted)
        let billable = weighted - allowanceUsed
        var tiers: [TierCharge] = []
        var amount = Money.zero
        switch rule.model {
        case .perUnit(let price):
            let a = try charge(price, billable)
            tiers.append(TierCharge(index: 0, units: units(billable), unitPrice: price, flatFee: .zero, amount: a))
            amount = a
        case .graduated(let table):
            var lower: UInt128 = 0
            for (index, tier) in table.enumerated() {
                let upper = try tier.upTo.map { (u: Money) throws(Overflow) -> UInt128 in try bound(u) }
                guard billable > lower else { break }
                let top = upper.map { min($0, billable) } ?? billable
                let portion = top - lower
                let a = try charge(tier.unitPrice, portion) + tier.flatFee
                tiers.append(
                    TierCharge(
                        index: index, units: units(portion), unitPrice: tier.unitPrice, flatFee: tier.flatFee, amount: a
                    ))
                amount += a
                guard let upper else { break }
                lower = upper
            }
        case .volume(let table):
            if billable > 0 {
                var chosen = table.count - 1
                for (index, tier) in table.enumerated() {
                    if let u = tier.upTo, billable <= (try bound(u)) {
                        chosen = index
                        break
                    }
                }
                let tier = table[chosen]
                let a = try charge(tier.unitPrice, billable) + tier.flatFee
                tiers.append(
                    TierCharge(
                        index: chosen, units: units(billable), unitPrice: tier.unitPrice, flatFee: tier.flatFee,
                        amount: a))
                amount = a
            }
        case .package(let size, let price):
            let (block, o) = UInt128(size).multipliedReportingOverflow(by: unitW)
            if o { throw Overflow() }
            let (q, r) = billable.quotientAndRemainder(dividingBy: block)
            let blocks = r == 0 ? q : q + 1
            let (total, o2) = Int128(clamping: blocks).multipliedReportingOverflow(by: price.scaled)
            if o2 || blocks > UInt128(Int128.max) { throw Overflow() }
            if blocks > 0 {
                tiers.append(
                    TierCharge(
                        index: 0, units: Money(scaled: Int128(clamping: blocks) * Money.one), unitPrice: price,
                        flatFee: .zero, amount: Money(scaled: total)))
            }
            amount = Money(scaled: total)
        }
        var topUp = Money.zero
        if hasUsage, let minimum = rule.minimum, amount < minimum {
            topUp = minimum - amount
            amount = minimum
        }
        return LinePart(
            version: "", ruleLine: rule.line, model: rule.model.name, unit: rule.unit, unitName: rule.unitName,
            quantity: raw, billedUnits: units(weighted), allowanceUsed: units(allowanceUsed), tiers: tiers,
            minimumTopUp: topUp, amount: amount)
    }
}
