import Core
import Foundation
public import Rating

extension InvoiceAssembler {
    /// `assemble` on every core: the same invoices, in the same order.
    ///
    /// Subjects are independent (tiers, allowances, minimums, plans, coupons,
    /// fees and adjustments are all per subject), so the sorted subjects are cut
    /// into contiguous ranges, each range is assembled on its own, and the
    /// results are concatenated in range order, which is `assemble`'s subject
    /// order. Small inputs and one-subject runs are assembled in one call.
    /// `parts` (nil: one per core) is how many ranges at most; below
    /// `minimumSeriesPerPart` series a range costs more to schedule than it saves.
    public static func assembleConcurrently(
        period: BillingPeriod, catalog: PriceCatalog, usage: [SeriesPeriodTotal], spans: [ActivitySpan],
        customers: CustomerDirectory = .empty, adjustments: [InvoiceAdjustment] = [], subject: String? = nil,
        parts: Int? = nil, minimumSeriesPerPart: Int = 4_096
    ) async throws -> [Invoice] {
        let count = min(
            parts ?? ProcessInfo.processInfo.activeProcessorCount, usage.count / max(1, minimumSeriesPerPart))
        guard subject == nil, count > 1 else {
            return try assemble(
                period: period, catalog: catalog, usage: usage, spans: spans, customers: customers,
                adjustments: adjustments, subject: subject)
        }
        var names = Set(usage.map(\.series.subject))
        names.formUnion(spans.map(\.subject))
        names.formUnion(adjustments.map(\.subject))
        let sorted = names.sorted()
        // The first subject of each range after the first.
        let cuts = (1..<count).map { sorted[$0 * sorted.count / count] }
        func part(of name: String) -> Int {
            var low = 0
            var high = cuts.count
            while low < high {
                let middle = (low + high) / 2
                if name < cuts[middle] { high = middle } else { low = middle + 1 }
            }
            return low
        }
        var usageParts = Array(repeating: [SeriesPeriodTotal](), count: count)
        for total in usage { usageParts[part(of: total.series.subject)].append(total) }
        var spanParts = Array(repeating: [ActivitySpan](), count: count)
        for span in spans { spanParts[part(of: span.subject)].append(span) }
        var adjustmentParts = Array(repeating: [InvoiceAdjustment](), count: count)
        for adjustment in adjustments { adjustmentParts[part(of: adjustment.subject)].append(adjustment) }
        return try await withThrowingTaskGroup(of: (Int, [Invoice]).self) { group in
            for index in 0..<count {
                let (usage, spans, adjustments) = (usageParts[index], spanParts[index], adjustmentParts[index])
                group.addTask {
                    let invoices = try assemble(
                        period: period, catalog: catalog, usage: usage, spans: spans, customers: customers,
                        adjustments: adjustments)
                    return (index, invoices)
                }
            }
            var results = Array(repeating: [Invoice](), count: count)
            for try await (index, invoices) in group { results[index] = invoices }
            return results.flatMap { $0 }
        }
    }
}
