import Core
import PropertyBased
import Rating
import Testing

/// `CatalogUsagePricing`, the quote of `POST /api/v1/billing/calculate`:
/// a quote is the period amount it adds, so a period's quotes add up to the
/// period's amount, exact and rounded, whatever the tiers.
@Suite struct UsagePricingTests {
    static let metrics = [
        "traffic.downlink_bytes", "traffic.uplink_bytes", "ai.model_inference_tokens", "vm.memory_byte_seconds",
    ]

    @Test func quotesOfAPeriodSumToItsAmountExactAndRounded() async throws {
        let catalog = try loadCatalog("examples/pricebook-tiers.yaml")
        let pricing = CatalogUsagePricing(catalog: catalog)
        await propertyCheck(count: 100, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var rng = SplitMix64(seed: seed)
            let metric = Self.metrics[Int.random(in: 0..<Self.metrics.count, using: &rng)]
            var used: UInt128 = 0
            var exact = Money.zero
            var rounded = Money.zero
            for _ in 0..<Int.random(in: 1...20, using: &rng) {
                let quantity = UInt128(
                    UInt64.random(in: 0...(1 << UInt64.random(in: 1...45, using: &rng)), using: &rng))
                let quote = try pricing.quote(
                    UsageQuoteRequest(
                        subject: "acct-1", metric: metric, dimensions: [], quantity: quantity, periodQuantity: used,
                        at: nov(15)))
                #expect(quote.priced)
                #expect(quote.currency == "USD")
                if metric != "traffic.uplink_bytes" {
                    // Volume tiers price the whole period at the tier it lands in, so crossing one can lower it.
                    #expect(quote.amount >= .zero, "only volume tiers can quote less than nothing: \(quote)")
                }
                exact += quote.amount
                rounded += quote.amountRounded
                used += quantity
            }
            let whole = try PeriodCalculator.quote(
                catalog: catalog, metric: metric, quantity: used, subject: "acct-1", at: nov(15))
            #expect(exact == whole.amount)
            #expect(rounded == whole.amountRounded)
        }
    }

    @Test func crossingAVolumeTierQuotesTheDropOfTheWholePeriod() throws {
        let catalog = try loadCatalog("examples/pricebook-tiers.yaml")
        let pricing = CatalogUsagePricing(catalog: catalog)
        let gigabyte: UInt128 = 1_000_000_000
        // traffic.uplink_bytes: up to 100 GB at 0.08, then every GB at 0.05 plus a flat 2.00.
        let quote = try pricing.quote(
            UsageQuoteRequest(
                subject: "acct-1", metric: "traffic.uplink_bytes", dimensions: [], quantity: 5 * gigabyte,
                periodQuantity: 100 * gigabyte, at: nov(3)))
        let before = try PeriodCalculator.quote(
            catalog: catalog, metric: "traffic.uplink_bytes", quantity: 100 * gigabyte, at: nov(3))
        let after = try PeriodCalculator.quote(
            catalog: catalog, metric: "traffic.uplink_bytes", quantity: 105 * gigabyte, at: nov(3))
        #expect(before.amount == money("8"))
        #expect(after.amount == money("7.25"))
        #expect(quote.amount == money("-0.75"))
        #expect(quote.amountRounded == money("-0.75"))
    }

    @Test func allowanceAndUnpricedMetricsAreTold() throws {
        let pricing = CatalogUsagePricing(catalog: try loadCatalog("examples/pricebook-tiers.yaml"))
        // vm.memory_byte_seconds: 100 GiB-hours included; 2 GiB-hours cost nothing but use the allowance.
        let gibHour: UInt128 = 3_865_470_566_400
        let inside = try pricing.quote(
            UsageQuoteRequest(
                subject: "acct-1", metric: "vm.memory_byte_seconds", dimensions: [], quantity: 2 * gibHour,
                periodQuantity: 10 * gibHour, at: nov(2)))
        #expect(inside.allowanceUsed == money("2"))
        // The minimum (1.00) is charged by the first usage of the period, not by later ones.
        #expect(inside.amount == .zero)
        let past = try pricing.quote(
            UsageQuoteRequest(
                subject: "acct-1", metric: "vm.memory_byte_seconds", dimensions: [], quantity: 300 * gibHour,
                periodQuantity: 100 * gibHour, at: nov(2)))
        #expect(past.allowanceUsed == .zero)
        // 300 GiB-hours at 0.005 = 1.50, of which the minimum 1.00 was already due.
        #expect(past.amount == money("0.5"))
        let none = try pricing.quote(
            UsageQuoteRequest(
                subject: "acct-1", metric: "vm.network_rx_bytes", dimensions: [], quantity: 5, periodQuantity: 0,
                at: nov(2)))
        #expect(!none.priced)
        #expect(none.amount == .zero)
    }
}
