public import Core
public import Rating

/// `invoice verify ID --audit PATH`: recomputes an invoice from the usage lines
/// of an audit trail and says whether it matches what the store keeps.
///
/// Exists so the audit team can check an invoice without trusting the ledger
/// database: the usage comes from the hash-chained file alone, read up to the
/// position the invoice recorded when it was finalized, and goes through the
/// same `SeriesPeriodTotal` sums and `InvoiceAssembler` as the run. Activity
/// spans and customers come from the store and the customers file (the audit
/// trail holds usage only); adjustment lines, which correct earlier
/// invoices, are taken from the invoice as they are.
public enum InvoiceAuditVerification {
    /// What the comparison found.
    public struct Report: Sendable, Hashable {
        public var recomputed: Invoice
        /// Each difference in words; empty when the invoice matches.
        public var differences: [String]
        public var matches: Bool { differences.isEmpty }
    }

    /// The usage of `subject` in `period` as the store would sum it from minute
    /// totals: per series and price-book version segment, every fact counted
    /// once (zero quantities too, as minute totals keep them).
    public static func periodUsage(
        facts: [UsageFact], period: BillingPeriod, segmentStarts: [Timestamp], subject: String
    ) -> [SeriesPeriodTotal] {
        let starts = segmentStarts.isEmpty ? [period.start] : segmentStarts
        var parts: [SeriesPartKey: SeriesPeriodTotal] = [:]
        var seen = Set<FactID>()
        for fact in facts
        where fact.series.subject == subject && fact.minute >= period.start && fact.minute < period.end {
            guard seen.insert(fact.id).inserted else { continue }
            let segment = starts.last { $0 <= fact.minute } ?? period.start
            let key = SeriesPartKey(series: fact.series, first: segment)
            if var part = parts[key] {
                part.quantity += UInt128(fact.quantity)
                part.firstMinute = min(part.firstMinute, fact.minute)
                part.lastMinute = max(part.lastMinute, fact.minute)
                parts[key] = part
            } else {
                parts[key] = SeriesPeriodTotal(
                    series: fact.series, firstMinute: fact.minute, lastMinute: fact.minute,
                    quantity: UInt128(fact.quantity))
            }
        }
        return Array(parts.values)
    }

    /// Recomputes `invoice` from `facts` (the audit trail's usage) and compares line by line.
    public static func check(
        _ invoice: Invoice, facts: [UsageFact], spans: [ActivitySpan], settings: InvoicingSettings
    ) throws -> Report {
        let period = BillingPeriod(containing: invoice.periodStart)
        let usage = periodUsage(
            facts: facts, period: period,
            segmentStarts: SeriesPeriodTotal.segmentStarts(of: settings.catalog, in: period),
            subject: invoice.subject)
        var recomputed =
            try InvoiceAssembler.assemble(
                period: period, catalog: settings.catalog, usage: usage,
                spans: spans.filter { $0.subject == invoice.subject }, customers: settings.customers,
                subject: invoice.subject
            ).first
            ?? Invoice(
                id: invoice.id, subject: invoice.subject, periodStart: invoice.periodStart,
                periodEnd: invoice.periodEnd, currency: invoice.currency, lines: [])
        recomputed.lines += invoice.lines.filter { $0.kind == .adjustment }
        var differences: [String] = []
        let count = max(invoice.lines.count, recomputed.lines.count)
        for index in 0..<count {
            let kept = index < invoice.lines.count ? invoice.lines[index] : nil
            let again = index < recomputed.lines.count ? recomputed.lines[index] : nil
            switch (kept, again) {
            case (let kept?, let again?):
                if kept.kind != again.kind || kept.metric != again.metric || kept.quantity != again.quantity
                    || kept.amount != again.amount || kept.amountRounded != again.amountRounded
                {
                    differences.append(
                        "line \(index + 1): the invoice has \(describe(kept)), the audit trail gives \(describe(again))"
                    )
                }
            case (let kept?, nil):
                differences.append("line \(index + 1): the invoice has \(describe(kept)), the audit trail gives none")
            case (nil, let again?):
                differences.append("line \(index + 1): the audit trail gives \(describe(again)), the invoice has none")
            case (nil, nil): break
            }
        }
        if invoice.total != recomputed.total {
            differences.append("total: the invoice has \(invoice.total), the audit trail gives \(recomputed.total)")
        }
        return Report(recomputed: recomputed, differences: differences)
    }

    static func describe(_ line: InvoiceLine) -> String {
        "\(line.kind.rawValue) \(line.metric)" + (line.quantity.isEmpty ? "" : " \(line.quantity) \(line.unit)")
            + " = \(line.amount) (\(line.amountRounded))"
    }
}
