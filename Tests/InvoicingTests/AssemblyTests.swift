import Core
import Foundation
import Invoicing
import Rating
import Testing

/// Invoice lines come from the period engine over period totals; fees are prorated by spans.
@Suite struct AssemblyTests {
    @Test func tiersApplyToThePeriodTotalOfAllSeriesNotToEachPart() throws {
        // Two series of 60 GB each: 120 GB in the period, so 100 GB at 0.08 and 20 GB at 0.05.
        let parts = [
            usage("acct-1", "traffic.downlink_bytes", 60_000_000_000, dimensions: [Dimension("node_id", "a")]),
            usage("acct-1", "traffic.downlink_bytes", 60_000_000_000, dimensions: [Dimension("node_id", "b")]),
        ]
        let invoices = try InvoiceAssembler.assemble(
            period: november, catalog: try catalog(), usage: parts, spans: [])
        let invoice = try #require(invoices.first)
        #expect(invoices.count == 1)
        #expect(invoice.lines.count == 1)
        let line = try #require(invoice.lines.first)
        #expect(line.kind == .usage)
        #expect(line.quantity == "120000000000")
        #expect(line.unit == "byte")
        #expect(line.tiers.map(\.units.description) == ["100", "20"])
        #expect(line.amount == Money(decimal: "9"))
        #expect(invoice.total == Money(decimal: "9"))
        #expect(invoice.id == InvoiceID.make(subject: "acct-1", period: november, currency: "USD"))
    }

    @Test func usageNoPriceAppliesToIsAZeroLineThatSaysSoNeverDropped() throws {
        // vm.cpu_time_ns is a metric the adapters emit, but this price book prices no VM usage.
        let parts = [
            usage("acct-1", "traffic.uplink_bytes", 3_000_000_000),
            usage("acct-1", "vm.cpu_time_ns", 4_000, first: 0, last: 0),
            usage("acct-1", "vm.cpu_time_ns", 3_000, first: 5, last: 5),
            usage("acct-2", "vm.cpu_time_ns", 5),
        ]
        let invoices = try InvoiceAssembler.assemble(
            period: november, catalog: try catalog(), usage: parts, spans: [])
        #expect(invoices.map(\.subject) == ["acct-1", "acct-2"])
        let first = try #require(invoices.first)
        #expect(first.lines.map(\.metric) == ["traffic.uplink_bytes", "vm.cpu_time_ns"])
        let unpriced = try #require(first.lines.last)
        #expect(unpriced.kind == .usage)
        #expect(unpriced.quantity == "7000")
        #expect(unpriced.unit == "nanosecond")
        #expect(unpriced.amount == .zero && unpriced.amountRounded == .zero)
        #expect(unpriced.description.contains("not billed"))
        #expect(first.total == first.lines[0].amountRounded)
        #expect(first.total > .zero)
        // A subject with only usage no price applies to still gets its (zero) invoice.
        #expect(invoices.last?.total == .zero)
        #expect(invoices.last?.lines.map(\.quantity) == ["5"])
    }

    @Test func eachLineIsRoundedOnceAndTheTotalIsTheSumOfRoundedLines() throws {
        // 1 GB uplink at 0.0333 = 0.0333 -> 0.03; 1.5 GB -> 0.04995 -> 0.05 (half-even at the cent).
        let invoices = try InvoiceAssembler.assemble(
            period: november, catalog: try catalog(),
            usage: [
                usage("acct-1", "traffic.uplink_bytes", 1_500_000_000),
                usage("acct-1", "traffic.downlink_bytes", 1_000_000),
            ], spans: [])
        let invoice = try #require(invoices.first)
        #expect(invoice.lines.map(\.amountRounded.description) == ["0", "0.05"])
        #expect(invoice.lines.map(\.amount.description) == ["0.00008", "0.04995"])
        #expect(invoice.total == Money(decimal: "0.05"))
        #expect(invoice.totalExact == Money(decimal: "0.05003"))
    }

    @Test func feesAreProratedByActivitySpansInSeconds() throws {
        // The VM ran 15 days of November's 30: half of 10.00.
        let start = novemberStart
        let stop = novemberStart.adding(nanoseconds: 15 * 86_400 * Timestamp.nanosecondsPerSecond)
        let invoices = try InvoiceAssembler.assemble(
            period: november, catalog: try catalog(), usage: [],
            spans: [ActivitySpan(subject: "acct-1", dimension: Dimension("vm_id", "vm-1"), start: start, stop: stop)])
        let line = try #require(invoices.first?.lines.first)
        #expect(line.kind == .fee)
        #expect(line.metric == "fee.vm")
        #expect(line.unit == "second")
        #expect(line.quantity == "1296000")
        #expect(line.billedUnits == Money(decimal: "0.5"))
        #expect(line.amountRounded == Money(decimal: "5"))
        #expect(line.description.contains("vm_id=vm-1"))
    }

    @Test func customerPlanOverridesThePriceBookPlan() throws {
        let directory = try customers(
            """
            customers:
              acct-9:
                name: Nine Ltd
                plan: pro
            """)
        let span = ActivitySpan(subject: "acct-9", start: novemberStart, stop: november.end)
        let invoices = try InvoiceAssembler.assemble(
            period: november, catalog: try catalog(), usage: [], spans: [span], customers: directory)
        let invoice = try #require(invoices.first)
        #expect(invoice.customer?.name == "Nine Ltd")
        #expect(invoice.lines.map(\.metric) == ["fee.plan_pro"])
        #expect(invoice.total == Money(decimal: "30"))
    }

    @Test func adjustmentLinesReferToTheCorrectedInvoiceAndAreNotDiscounted() throws {
        let directory = try customers(
            """
            customers:
              acct-1:
                name: One
                coupons:
                  - { id: HALF, percent: "50", periods: forever }
            """)
        let invoices = try InvoiceAssembler.assemble(
            period: november, catalog: try catalog(),
            usage: [usage("acct-1", "traffic.downlink_bytes", 10_000_000_000)],
            spans: [], customers: directory,
            adjustments: [
                InvoiceAdjustment(
                    subject: "acct-1", refersTo: "INV-2026-000007", period: "2026-10",
                    amount: Money(decimal: "1.234")!, amountRounded: Money(decimal: "1.23")!)
            ])
        let invoice = try #require(invoices.first)
        #expect(invoice.lines.map(\.kind) == [.usage, .discount, .adjustment])
        #expect(invoice.lines.last?.refersTo == "INV-2026-000007")
        // 0.80 usage, -0.40 discount, +1.23 adjustment.
        #expect(invoice.total == Money(decimal: "1.63"))
        #expect(invoice.subtotal == Money(decimal: "0.8"))
        #expect(invoice.discountTotal == Money(decimal: "-0.4"))
    }
}
