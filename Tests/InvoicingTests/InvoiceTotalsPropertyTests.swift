import Core
import Foundation
import Invoicing
import PropertyBased
import Rating
import Testing

/// On random usage, spans and coupons: the JSON total is the sum of the rounded
/// lines, each line is its exact amount rounded once, and the exact total is
/// the sum of the exact lines.
@Suite struct InvoiceTotalsPropertyTests {
    static let metrics = ["traffic.downlink_bytes", "traffic.uplink_bytes"]

    @Test func roundedLinesAlwaysSumToTheTotal() async throws {
        let book = try catalog()
        let directory = try customers(
            """
            customers:
              acct-1:
                name: One
                coupons:
                  - { id: P, percent: "12.5", periods: forever }
                  - { id: F, amount: "0.333", currency: USD, periods: forever }
            """)
        await propertyCheck(count: 200, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var rng = SplitMix64(seed: seed)
            var parts: [SeriesPeriodTotal] = []
            for _ in 0..<Int.random(in: 1...30, using: &rng) {
                let subject = ["acct-1", "acct-2", "acct-pro"][Int.random(in: 0...2, using: &rng)]
                let metric = Self.metrics[Int.random(in: 0...1, using: &rng)]
                let quantity = UInt128(
                    UInt64.random(in: 0...(1 << UInt64.random(in: 1...45, using: &rng)), using: &rng))
                let first = Int64.random(in: 0..<(30 * 1440), using: &rng)
                parts.append(
                    usage(
                        subject, metric, quantity, first: first, last: first,
                        dimensions: [Dimension("vm_id", "vm-\(Int.random(in: 1...3, using: &rng))")]))
            }
            var spans: [ActivitySpan] = []
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                let a =
                    Int64.random(in: 0..<(30 * 86_400), using: &rng) * Timestamp.nanosecondsPerSecond
                    + Int64.random(in: 0..<1_000_000_000, using: &rng)
                let b = a + Int64.random(in: 1..<(10 * 86_400), using: &rng) * Timestamp.nanosecondsPerSecond
                spans.append(
                    ActivitySpan(
                        subject: "acct-1", dimension: Dimension("vm_id", "vm-\(Int.random(in: 1...3, using: &rng))"),
                        start: novemberStart.adding(nanoseconds: a), stop: novemberStart.adding(nanoseconds: b)))
            }
            let invoices: [Invoice]
            do {
                invoices = try InvoiceAssembler.assemble(
                    period: november, catalog: book, usage: parts, spans: spans, customers: directory)
            } catch {
                Issue.record("assembly failed: \(error)")
                return
            }
            for invoice in invoices {
                let json = try? JSONSerialization.jsonObject(with: Data(InvoiceJSON.encode(invoice))) as? [String: Any]
                let lines = json?["lines"] as? [[String: Any]] ?? []
                let sum = lines.compactMap { ($0["amount_rounded"] as? String).flatMap(Money.init(decimal:)) }
                    .reduce(Money.zero, +)
                let exact = lines.compactMap { ($0["amount"] as? String).flatMap(Money.init(decimal:)) }
                    .reduce(Money.zero, +)
                #expect(lines.count == invoice.lines.count)
                #expect((json?["total"] as? String).flatMap(Money.init(decimal:)) == sum)
                #expect((json?["total_exact"] as? String).flatMap(Money.init(decimal:)) == exact)
                #expect(invoice.total >= .zero)
                for line in invoice.lines {
                    // Rounded once, to the cent: never more than half a cent from the exact amount
                    // (a capped fixed discount is exact at the cent already).
                    #expect(line.amountRounded == line.amountRounded.rounded(minorUnits: 2, mode: .halfEven))
                    let diff = line.amountRounded - line.amount
                    #expect(diff <= Money(decimal: "0.005")! && diff >= Money(decimal: "-0.005")!)
                }
            }
        }
    }

    @Test func assemblingSubjectRangesConcurrentlyGivesTheSameInvoicesInTheSameOrder() async throws {
        let book = try catalog()
        let directory = try customers(
            """
            customers:
              acct-3:
                name: Three
                coupons:
                  - { id: P, percent: "10", periods: forever }
            """)
        await propertyCheck(count: 50, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var rng = SplitMix64(seed: seed)
            var parts: [SeriesPeriodTotal] = []
            for _ in 0..<Int.random(in: 1...80, using: &rng) {
                let subject = "acct-\(Int.random(in: 0...12, using: &rng))"
                let first = Int64.random(in: 0..<(30 * 1440), using: &rng)
                parts.append(
                    usage(
                        subject, Self.metrics[Int.random(in: 0...1, using: &rng)],
                        UInt128(UInt64.random(in: 0...(1 << 40), using: &rng)), first: first, last: first))
            }
            // A subject with fees only, and one with an adjustment only.
            let spans = [ActivitySpan(subject: "acct-fees", dimension: nil, start: novemberStart, stop: nil)]
            let adjustments = [
                InvoiceAdjustment(
                    subject: "acct-late", refersTo: "INV-2026-000001", period: "2026-10",
                    amount: Money(units: 3), amountRounded: Money(units: 3))
            ]
            do {
                let serial = try InvoiceAssembler.assemble(
                    period: november, catalog: book, usage: parts, spans: spans, customers: directory,
                    adjustments: adjustments)
                for count in 2...5 {
                    let concurrent = try await InvoiceAssembler.assembleConcurrently(
                        period: november, catalog: book, usage: parts, spans: spans, customers: directory,
                        adjustments: adjustments, parts: count, minimumSeriesPerPart: 1)
                    #expect(concurrent == serial, "\(count) ranges")
                }
                #expect(serial.contains { $0.subject == "acct-late" })
            } catch {
                Issue.record("assembly failed: \(error)")
            }
        }
    }

    @Test func jsonRoundTripsEveryField() throws {
        let span = ActivitySpan(
            subject: "acct-1", dimension: Dimension("vm_id", "vm-1"), start: novemberStart, stop: nil)
        var invoice = try #require(
            try InvoiceAssembler.assemble(
                period: november, catalog: try catalog(),
                usage: [usage("acct-1", "traffic.downlink_bytes", 123_456_789_012)], spans: [span]
            ).first)
        invoice.number = "INV-2026-000001"
        invoice.status = .finalized
        invoice.finalizedAt = novemberStart.adding(nanoseconds: 5)
        invoice.forcedReason = "month-end close"
        invoice.completeness = Completeness(complete: false, problems: ["source edge is failing"])
        invoice.audit = AuditPosition(file: "audit-1.jsonl", seq: 42, hash: "ab")
        let decoded = try InvoiceJSON.decode(InvoiceJSON.encode(invoice))
        #expect(decoded == invoice)
        let text = String(decoding: InvoiceJSON.encode(invoice), as: UTF8.self)
        for key in [
            "\"number\":\"INV-2026-000001\"", "\"void_reason\":null", "\"refers_to\":null", "\"billed_units\":",
            "\"total_exact\":", "\"discount_total\":\"0.00\"", "\"period_start\":\"2026-11-01T00:00:00Z\"",
        ] {
            #expect(text.contains(key), "missing \(key)")
        }
    }
}
