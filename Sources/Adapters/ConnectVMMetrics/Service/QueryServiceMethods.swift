import Core
import SwiftProtobuf

/// `billing.v1.BillingQueryService` (UPSTREAMS §6): usage as the pipeline's
/// ledger holds it, hourly rows with exact integer quantities and decimal money.
extension ConnectVMMetricsSource {
    func customerUsage(_ request: Billing_V1_GetCustomerUsageRequest, context: any PushContext)
        async throws(ConnectError) -> Billing_V1_GetCustomerUsageResponse
    {
        try VMObservations.checkLabel(request.customerID, field: "customer_id", kind: .subject)
        let (from, to) = try range(
            request.hasStart ? request.start : nil, request.hasEnd ? request.end : nil, names: ("start", "end"))
        let rows = try await usageRows(
            customer: request.customerID, metric: request.metric.isEmpty ? nil : request.metric, from: from, to: to,
            context: context)
        var answer = Billing_V1_GetCustomerUsageResponse()
        answer.customerID = request.customerID
        answer.usage = rows.map(Self.protobuf)
        return answer
    }

    func billingWindow(_ request: Billing_V1_GetBillingWindowRequest, context: any PushContext)
        async throws(ConnectError) -> Billing_V1_GetBillingWindowResponse
    {
        try VMObservations.checkLabel(request.customerID, field: "customer_id", kind: .subject)
        let (from, to) = try range(
            request.hasWindowStart ? request.windowStart : nil, request.hasWindowEnd ? request.windowEnd : nil,
            names: ("window_start", "window_end"))
        let rows = try await usageRows(customer: request.customerID, metric: nil, from: from, to: to, context: context)
        var totals: [String: Money] = [:]
        for row in rows where !row.currency.isEmpty { totals[row.currency, default: .zero] += row.amount }
        var answer = Billing_V1_GetBillingWindowResponse()
        answer.customerID = request.customerID
        answer.windowStart = VMObservations.protobuf(from)
        answer.windowEnd = VMObservations.protobuf(to)
        answer.usage = rows.map(Self.protobuf)
        answer.totals = totals.mapValues(\.description)
        return answer
    }

    /// `[start, end)`, both present, whole hours apart at most `UsageLimits.maxPeriods`.
    func range(_ start: Google_Protobuf_Timestamp?, _ end: Google_Protobuf_Timestamp?, names: (String, String))
        throws(ConnectError) -> (Timestamp, Timestamp)
    {
        guard let start else { throw ConnectError(.invalidArgument, "\(names.0): missing") }
        guard let end else { throw ConnectError(.invalidArgument, "\(names.1): missing") }
        guard let from = VMObservations.timestamp(start) else {
            throw ConnectError(.invalidArgument, "\(names.0): out of range")
        }
        guard let to = VMObservations.timestamp(end) else {
            throw ConnectError(.invalidArgument, "\(names.1): out of range")
        }
        guard from < to else {
            throw ConnectError(.invalidArgument, "\(names.1): \(to) is not after \(names.0) \(from)")
        }
        let hours = (to.nanosecondsSinceEpoch - from.nanosecondsSinceEpoch) / (3600 * Timestamp.nanosecondsPerSecond)
        guard hours <= UsageLimits.maxPeriods else {
            throw ConnectError(
                .invalidArgument, "\(names.0)…\(names.1) spans \(hours) hours; at most \(UsageLimits.maxPeriods)")
        }
        return (from, to)
    }

    /// Every hourly row of the customer in `[from, to)`, page after page.
    func usageRows(customer: String, metric: String?, from: Timestamp, to: Timestamp, context: any PushContext)
        async throws(ConnectError) -> [UsageRow]
    {
        guard let ledger = context.ledger else {
            throw ConnectError(
                .failedPrecondition, "source \(id)'s pipeline has no sink that answers usage (a postgres sink does)")
        }
        let query = UsageQuery(subject: customer, metric: metric, from: from, to: to, granularity: .hour)
        var rows: [UsageRow] = []
        var cursor: UsageCursor?
        repeat {
            let page: UsagePage
            do {
                page = try await ledger.usage(query, after: cursor, limit: UsageLimits.maxPageRows)
            } catch {
                throw ConnectError(.unavailable, "the usage ledger \(ledger.ledgerID) did not answer: \(error)")
            }
            rows += page.rows
            cursor = page.next
        } while cursor != nil
        return rows
    }

    static func protobuf(_ row: UsageRow) -> Billing_V1_UsageRow {
        var out = Billing_V1_UsageRow()
        out.customerID = row.subject
        out.metric = row.metric
        out.periodStart = VMObservations.protobuf(row.periodStart)
        out.quantity = row.quantity
        out.unit = row.unit
        out.amount = row.amount.description
        out.currency = row.currency
        return out
    }

    /// A `UsageUpdate` for each committed batch holding facts of the customer:
    /// its facts summed per metric, minute and currency.
    func liveUsage(_ request: Billing_V1_StreamLiveUsageRequest, context: any PushContext) throws(ConnectError)
        -> AsyncStream<Billing_V1_UsageUpdate>
    {
        try VMObservations.checkLabel(request.customerID, field: "customer_id", kind: .subject)
        let customer = request.customerID
        let commits = context.commits()
        return AsyncStream { continuation in
            let task = Task {
                for await batch in commits {
                    let rows = Self.rows(of: batch.facts, customer: customer)
                    guard !rows.isEmpty else { continue }
                    var update = Billing_V1_UsageUpdate()
                    update.customerID = customer
                    update.sequence = batch.sequence
                    update.usage = rows
                    continuation.yield(update)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    static func rows(of facts: [UsageFact], customer: String) -> [Billing_V1_UsageRow] {
        struct Key: Hashable {
            var metric: String
            var minute: Timestamp
            var currency: String
        }
        var sums: [Key: (quantity: UInt128, amount: Money)] = [:]
        for fact in facts where fact.series.subject == customer {
            let key = Key(metric: fact.series.metric, minute: fact.minute, currency: fact.currency)
            var entry: (quantity: UInt128, amount: Money) = sums[key] ?? (0, .zero)
            entry.quantity += UInt128(fact.quantity)
            entry.amount += fact.amount
            sums[key] = entry
        }
        return sums.sorted {
            ($0.key.minute, $0.key.metric, $0.key.currency) < ($1.key.minute, $1.key.metric, $1.key.currency)
        }
        .map { key, value in
            var row = Billing_V1_UsageRow()
            row.customerID = customer
            row.metric = key.metric
            row.periodStart = VMObservations.protobuf(key.minute)
            row.quantity = String(value.quantity)
            row.unit = MetricUnit.of(metric: key.metric)
            row.amount = value.amount.description
            row.currency = key.currency
            return row
        }
    }
}
