import Core
import WireFormats

/// `POST /api/v1/billing/calculate` (UPSTREAMS §5): what a record would cost
/// now, from the daemon's price book and the user's usage of the metric so
/// far this calendar month (UTC) in the pipeline's ledger. Nothing is written.
///
/// `total_cost` is the rounded month amount with the usage minus the rounded
/// month amount without it, so quotes add up to the invoice cent for cent;
/// `unit_price` is the exact average price of one unit of `usage_amount` in
/// this request (tiers and allowances make it differ from the list price).
extension UsageRecordsSource {
    func calculate(_ request: PushRequest, context: any PushContext) async -> PushResponse {
        let body: [UInt8]
        do {
            body = try await request.collectBody()
        } catch {
            return JSONAnswer.detail(error.status, error.message)
        }
        let decoded: Result<UsageRecord, UsageRecordDecoder.Failure> = body.withUnsafeBytes { raw in
            do throws(UsageRecordDecoder.Failure) {
                return .success(try UsageRecordDecoder.decodeOne(raw))
            } catch {
                return .failure(error)
            }
        }
        let record: UsageRecord
        switch decoded {
        case .success(let value): record = value
        case .failure(let failure): return JSONAnswer.detail(422, failure.description)
        }
        let now = self.now(context)
        let item: Accepted
        switch check(record, now: now) {
        case .success(let value): item = value
        case .failure(let refusal): return JSONAnswer.detail(422, refusal.text)
        }
        guard let pricing = context.pricing else {
            return JSONAnswer.detail(
                404, "Product pricing not found: the daemon has no price book (pricing: in plugins.yaml)")
        }
        let series = series(of: item)
        let monthStart = Self.monthStart(of: now)
        let rows: [UsageRow]
        switch await ledgerRows(
            UsageQuery(
                subject: record.userID, from: monthStart, to: now.minuteStart.adding(.seconds(60)), granularity: .month),
            metrics: [item.mapping.metric], context: context)
        {
        case .success(let value): rows = value
        case .failure(let refusal): return JSONAnswer.detail(503, refusal.text)
        }
        var used: UInt128 = 0
        for row in rows {
            guard let quantity = UInt128(row.quantity) else {
                return JSONAnswer.detail(500, "the ledger answered a quantity that is not an integer: \(row.quantity)")
            }
            used += quantity
        }
        let quote: UsageQuote
        do {
            quote = try pricing.quote(
                UsageQuoteRequest(
                    subject: record.userID, metric: item.mapping.metric, dimensions: series.dimensions,
                    quantity: UInt128(item.quantity), periodQuantity: used, at: item.time))
        } catch {
            return JSONAnswer.detail(422, "usage_amount: \(error)")
        }
        guard quote.priced else {
            return JSONAnswer.detail(
                404,
                "Product pricing not found: no price of the book matches \(item.mapping.metric) for \(record.productID)"
            )
        }
        let unitPrice: Money
        do {
            unitPrice =
                item.quantity == 0
                ? .zero
                : try quote.amount.multiplied(by: UInt128(item.mapping.unitScale), dividedBy: UInt128(item.quantity))
        } catch {
            return JSONAnswer.detail(422, "usage_amount: the unit price is out of range (\(error))")
        }
        let included = quote.amount == .zero && quote.allowanceUsed > .zero
        let free = quote.amount == .zero && !included
        let methods =
            included ? ["subscription_included"] : ["wallet_deduction", "payment_charge", "credit_consumption"]
        return JSONAnswer.object([
            ("success", .bool(true)), ("user_id", .string(record.userID)), ("product_id", .string(record.productID)),
            ("service_type", .string(record.serviceType)), ("usage_amount", .string(record.usageAmount)),
            ("metric", .string(item.mapping.metric)), ("quantity", .string(String(item.quantity))),
            ("period_start", .string(monthStart.rfc3339())), ("period_quantity", .string(String(used))),
            ("unit_price", .string(unitPrice.description)),
            ("total_cost", .string(quote.amountRounded.formatted(fractionDigits: quote.minorUnits))),
            ("total_cost_exact", .string(quote.amount.description)), ("currency", .string(quote.currency)),
            ("is_free_tier", .bool(free)), ("is_included_in_subscription", .bool(included)),
            (
                "suggested_billing_method",
                .string(included ? "subscription_included" : record.billingMethod ?? "wallet_deduction")
            ),
            ("available_billing_methods", .array(methods.map(JSONAnswer.string))),
            ("price_version", quote.version.map(JSONAnswer.string) ?? .null),
        ]).response()
    }
}
