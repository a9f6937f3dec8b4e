public import Core

/// The library side of the `rate` and `price` CLI commands: Host parses arguments
/// and files, calls these, prints the returned text, and maps errors to exit codes.
public enum RatingCommands {
    /// `--format table|json`.
    public enum Format: String, Sendable, CaseIterable {
        case table
        case json
    }

    /// `billing-service rate`: the period statement of `facts`, rendered.
    public static func rate(
        catalog: PriceCatalog, facts: some Sequence<UsageFact>, period: BillingPeriod, subject: String? = nil,
        activity: [ActivitySpan] = [], format: Format = .table
    ) throws(RatingError) -> (statement: PeriodStatement, output: String) {
        var totals = UsageTotals(catalog: catalog, period: period, subject: subject)
        totals.add(contentsOf: facts)
        let statement = try PeriodCalculator.statement(totals, activity: activity)
        let output = format == .json ? ReportRenderer.json(statement) : ReportRenderer.table(statement)
        return (statement, output)
    }

    /// `billing-service price`: one quantity of one metric, rendered.
    public static func price(
        catalog: PriceCatalog, metric: String, quantity: UInt128, dimensions: [Dimension] = [],
        subject: String = "", at: Timestamp? = nil, format: Format = .table
    ) throws(RatingError) -> (quote: PriceQuote, output: String) {
        let quote = try PeriodCalculator.quote(
            catalog: catalog, metric: metric, quantity: quantity, dimensions: dimensions, subject: subject, at: at)
        return (quote, format == .json ? ReportRenderer.json(quote) : ReportRenderer.table(quote))
    }

    /// Parses `--dimensions k=v,k2=v2` (empty text: none). `nil` when a pair has no `=`
    /// or an empty key, or a key repeats.
    public static func parseDimensions(_ text: String) -> [Dimension]? {
        if text.isEmpty { return [] }
        var out: [Dimension] = []
        var seen: Set<String> = []
        for pair in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let eq = pair.firstIndex(of: "=") else { return nil }
            let key = String(pair[..<eq])
            guard !key.isEmpty, seen.insert(key).inserted else { return nil }
            out.append(Dimension(key, String(pair[pair.index(after: eq)...])))
        }
        return out
    }

    /// Parses a base-unit quantity (`--quantity 150000000000`, underscores allowed).
    public static func parseQuantity(_ text: String) -> UInt128? {
        let digits = text.filter { $0 != "_" }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt128(digits)
    }
}
