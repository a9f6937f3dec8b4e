import Core
import Invoicing
import Rating
import Testing

/// Coupons: percentages first (each on what remains), then fixed amounts capped at zero.
@Suite struct DiscountTests {
    static let usageParts = [usage("acct-1", "traffic.downlink_bytes", 100_000_000_000)]  // 8.00

    func invoice(_ coupons: String, period: BillingPeriod = november) throws -> Invoice {
        let directory = try customers(
            """
            customers:
              acct-1:
                name: One
                currency: USD
                coupons:
            \(coupons)
            """)
        let parts =
            period == november
            ? Self.usageParts
            : [
                SeriesPeriodTotal(
                    series: SeriesKey(source: "edge", subject: "acct-1", metric: "traffic.downlink_bytes"),
                    firstMinute: period.start, lastMinute: period.start, quantity: 100_000_000_000)
            ]
        return try #require(
            try InvoiceAssembler.assemble(
                period: period, catalog: try catalog(), usage: parts, spans: [], customers: directory
            ).first)
    }

    @Test func percentagesApplyBeforeFixedAmountsWhateverTheFileOrder() throws {
        let result = try invoice(
            """
                  - { id: FIVE, amount: "5.00", currency: USD, periods: forever }
                  - { id: TEN, percent: "10", periods: forever }
                  - { id: TENMORE, percent: "10", periods: forever }
            """)
        // 8.00 - 10% = 7.20; - 10% of 7.20 = 6.48; - 5.00 = 1.48.
        #expect(result.lines.map(\.metric) == ["traffic.downlink_bytes", "TEN", "TENMORE", "FIVE"])
        #expect(result.lines.map(\.amountRounded.description) == ["8", "-0.8", "-0.72", "-5"])
        #expect(result.total == Money(decimal: "1.48"))
    }

    @Test func aFixedAmountNeverTakesTheInvoiceBelowZero() throws {
        let result = try invoice(
            """
                  - { id: BIG, amount: "50", currency: USD, periods: forever }
                  - { id: MORE, amount: "1", currency: USD, periods: forever }
            """)
        #expect(result.lines.map(\.amountRounded.description) == ["8", "-8", "0"])
        #expect(result.total == .zero)
        #expect(result.lines[1].description.contains("capped"))
    }

    @Test func aCouponForNPeriodsAppliesFromItsFirstPeriodForNPeriods() throws {
        let coupon = """
                  - { id: TWO, percent: "50", periods: 2, from: 2026-10 }
            """
        // October and November: 50 % off; December and September: none.
        #expect(try invoice(coupon).total == Money(decimal: "4"))
        let december = try #require(BillingPeriod(year: 2026, month: 12))
        #expect(try invoice(coupon, period: december).total == Money(decimal: "8"))
        let september = try #require(BillingPeriod(year: 2026, month: 9))
        #expect(try invoice(coupon, period: september).total == Money(decimal: "8"))
    }

    @Test func aCouponInAnotherCurrencyIsAnExactErrorNamingIt() throws {
        let directory = try customers(
            """
            customers:
              acct-1:
                name: One
                coupons:
                  - { id: EURO, amount: "5", currency: EUR, periods: forever }
            """)
        #expect(
            throws: InvoiceError.couponCurrency(
                subject: "acct-1", coupon: "EURO", couponCurrency: "EUR", invoice: "USD")
        ) {
            try InvoiceAssembler.assemble(
                period: november, catalog: try catalog(), usage: Self.usageParts, spans: [], customers: directory)
        }
    }
}
