public import Core

/// The price book as `UsagePricing`: the quote of a request is the period
/// amount with its usage minus the period amount without it, both computed
/// by `PeriodCalculator.quote` (tiers, allowance, minimum, multipliers and
/// the version in force), so a quote and the invoice of the period agree.
public struct CatalogUsagePricing: UsagePricing {
    let catalog: PriceCatalog
    let compiled: CompiledCatalog

    public init(catalog: PriceCatalog) {
        self.catalog = catalog
        self.compiled = CompiledCatalog(catalog)
    }

    public func quote(_ request: UsageQuoteRequest) throws(UsageQuoteFailure) -> UsageQuote {
        let (total, overflow) = request.periodQuantity.addingReportingOverflow(request.quantity)
        guard !overflow else {
            throw UsageQuoteFailure("\(request.metric): the period quantity exceeds 128 bits")
        }
        let before: PriceQuote
        let after: PriceQuote
        do {
            before = try PeriodCalculator.quote(
                compiled: compiled, currency: catalog.currency, metric: request.metric,
                quantity: request.periodQuantity, dimensions: request.dimensions, subject: request.subject,
                at: request.at)
            after = try PeriodCalculator.quote(
                compiled: compiled, currency: catalog.currency, metric: request.metric, quantity: total,
                dimensions: request.dimensions, subject: request.subject, at: request.at)
        } catch {
            throw UsageQuoteFailure("\(error)")
        }
        let allowance = (after.part?.allowanceUsed ?? .zero) - (before.part?.allowanceUsed ?? .zero)
        return UsageQuote(
            priced: after.part != nil, currency: after.currency.code, amount: after.amount - before.amount,
            amountRounded: after.amountRounded - before.amountRounded, minorUnits: after.currency.minorUnits,
            allowanceUsed: allowance, version: after.part?.version)
    }
}
