import Core

/// The platform's read side from the pipeline's ledger (UPSTREAMS §5):
/// a user's records, aggregations and stats, plus `GET /health`. Quantities
/// are base-unit integers as strings, money decimal strings.
extension UsageRecordsSource {
    /// The metrics this source writes, each with the service types that map to it.
    var serviceTypesByMetric: [String: [String]] {
        var out: [String: Set<String>] = [:]
        for (name, entry) in settings.serviceTypes {
            out[entry.mapping.metric, default: []].insert(name)
            for mapping in entry.products.values { out[mapping.metric, default: []].insert(name) }
        }
        return out.mapValues { $0.sorted() }
    }

    /// Every row of `query` restricted to this source's metrics (and `metrics` when given).
    func ledgerRows(_ query: UsageQuery, metrics: Set<String>?, context: any PushContext) async -> Result<
        [UsageRow], Refusal
    > {
        guard let ledger = context.ledger else {
            return .failure("source \(id)'s pipeline has no sink that answers usage (a postgres sink does)")
        }
        let own = Set(serviceTypesByMetric.keys)
        let wanted = metrics.map { $0.intersection(own) } ?? own
        var rows: [UsageRow] = []
        for metric in wanted.sorted() {
            var q = query
            q.metric = metric
            var cursor: UsageCursor?
            repeat {
                do {
                    let page = try await ledger.usage(q, after: cursor, limit: UsageLimits.maxPageRows)
                    rows += page.rows
                    cursor = page.next
                } catch {
                    return .failure("the usage ledger \(ledger.ledgerID) did not answer: \(error)")
                }
            } while cursor != nil
        }
        return .success(rows)
    }

    /// `YYYY-MM-DD` as the instant its day starts (UTC).
    static func day(_ text: String) -> Timestamp? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int64(parts[0]), let month = Int64(parts[1]), let day = Int64(parts[2]),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let days = Timestamp.daysFromCivil(year: year, month: month, day: day)
        let (roundTrip) = Timestamp.civilFromDays(days)
        guard roundTrip.year == year, roundTrip.month == month, roundTrip.day == day else { return nil }
        let time = Timestamp(secondsSinceEpoch: days * 86_400)
        return time.isAccepted ? time : nil
    }

    /// The first instant of `time`'s calendar month (UTC).
    static func monthStart(of time: Timestamp) -> Timestamp {
        let civil = Timestamp.civilFromDays(time.nanosecondsSinceEpoch / (86_400 * Timestamp.nanosecondsPerSecond))
        return Timestamp(
            secondsSinceEpoch: Timestamp.daysFromCivil(year: civil.year, month: civil.month, day: 1) * 86_400)
    }

    /// `[start_date, end_date]` (days, end inclusive), or the current month so far.
    func range(_ request: PushRequest, now: Timestamp, required: Bool) -> Result<(Timestamp, Timestamp), Refusal> {
        let start = request.query("start_date")
        let end = request.query("end_date")
        if required, start == nil || end == nil { return .failure("start_date and end_date are required (YYYY-MM-DD)") }
        let from: Timestamp
        if let start {
            guard let day = Self.day(start) else {
                return .failure("start_date: \"\(start)\" is not a date YYYY-MM-DD")
            }
            from = day
        } else {
            from = Self.monthStart(of: now)
        }
        let to: Timestamp
        if let end {
            guard let day = Self.day(end) else { return .failure("end_date: \"\(end)\" is not a date YYYY-MM-DD") }
            to = day.adding(.seconds(86_400))
        } else {
            to = now.minuteStart.adding(.seconds(60))
        }
        guard from < to else { return .failure("end_date is before start_date") }
        return .success((from, to))
    }

    func userRecords(_ request: PushRequest, context: any PushContext) async -> PushResponse {
        let user = request.pathParameters["user_id"] ?? ""
        guard !user.isEmpty else { return JSONAnswer.detail(422, "user_id: must not be empty") }
        let limit = request.query("limit").map { Int($0) } ?? 50
        let offset = request.query("offset").map { Int($0) } ?? 0
        guard let limit, (1...1000).contains(limit) else { return JSONAnswer.detail(422, "limit: must be 1…1000") }
        guard let offset, offset >= 0 else { return JSONAnswer.detail(422, "offset: must be a non-negative integer") }
        let now = self.now(context)
        let to = now.minuteStart.adding(.seconds(3600))
        let query = UsageQuery(subject: user, from: to.adding(.seconds(-31 * 86_400)), to: to, granularity: .hour)
        let rows: [UsageRow]
        switch await ledgerRows(query, metrics: nil, context: context) {
        case .success(let value): rows = value
        case .failure(let refusal): return JSONAnswer.detail(503, refusal.text)
        }
        let newest = rows.sorted { ($0.periodStart, $0.metric, $0.currency) > ($1.periodStart, $1.metric, $1.currency) }
        let page = newest.dropFirst(offset).prefix(limit)
        let byMetric = serviceTypesByMetric
        return JSONAnswer.object([
            ("user_id", .string(user)), ("total", .integer(Int64(rows.count))), ("limit", .integer(Int64(limit))),
            ("offset", .integer(Int64(offset))),
            (
                "records",
                .array(
                    page.map { row in
                        .object([
                            ("user_id", .string(row.subject)),
                            ("service_type", .string(byMetric[row.metric]?.first ?? "")),
                            ("metric", .string(row.metric)), ("quantity", .string(row.quantity)),
                            ("unit", .string(row.unit)), ("total_amount", .string(row.amount.description)),
                            ("currency", .string(row.currency)), ("billing_status", .string("completed")),
                            ("period_start", .string(row.periodStart.rfc3339())),
                        ])
                    })
            ),
        ]).response()
    }

    func aggregations(_ request: PushRequest, context: any PushContext) async -> PushResponse {
        let user = request.query("user_id").flatMap { $0.isEmpty ? nil : $0 }
        let serviceType = request.query("service_type").flatMap { $0.isEmpty ? nil : $0 }
        let period = request.query("period") ?? "day"
        guard let granularity = UsageGranularity(rawValue: period), granularity != .minute else {
            return JSONAnswer.detail(422, "period: \"\(period)\" is not one of hour, day, month")
        }
        var metrics: Set<String>?
        if let serviceType {
            guard let entry = settings.serviceTypes[serviceType] else {
                let mapped = settings.serviceTypes.keys.sorted().joined(separator: ", ")
                return JSONAnswer.detail(
                    422, "service_type: \"\(serviceType)\" is not mapped; this source maps \(mapped)")
            }
            metrics = Set([entry.mapping.metric] + entry.products.values.map(\.metric))
        }
        let now = self.now(context)
        let (from, to): (Timestamp, Timestamp)
        switch range(request, now: now, required: false) {
        case .success(let value): (from, to) = value
        case .failure(let refusal): return JSONAnswer.detail(422, refusal.text)
        }
        let rows: [UsageRow]
        switch await ledgerRows(
            UsageQuery(subject: user, from: from, to: to, granularity: granularity), metrics: metrics, context: context)
        {
        case .success(let value): rows = value
        case .failure(let refusal): return JSONAnswer.detail(503, refusal.text)
        }
        let byMetric = serviceTypesByMetric
        return JSONAnswer.object([
            ("user_id", user.map(JSONAnswer.string) ?? .null),
            ("service_type", serviceType.map(JSONAnswer.string) ?? .null), ("period", .string(period)),
            ("start", .string(from.rfc3339())), ("end", .string(to.rfc3339())),
            (
                "aggregations",
                .array(
                    rows.map { row in
                        .object([
                            ("period_start", .string(row.periodStart.rfc3339())), ("user_id", .string(row.subject)),
                            ("service_type", .string(serviceType ?? byMetric[row.metric]?.first ?? "")),
                            ("metric", .string(row.metric)), ("quantity", .string(row.quantity)),
                            ("unit", .string(row.unit)), ("total_cost", .string(row.amount.description)),
                            ("currency", .string(row.currency)),
                        ])
                    })
            ),
        ]).response()
    }

    func stats(_ request: PushRequest, context: any PushContext) async -> PushResponse {
        let (from, to): (Timestamp, Timestamp)
        switch range(request, now: self.now(context), required: true) {
        case .success(let value): (from, to) = value
        case .failure(let refusal): return JSONAnswer.detail(422, refusal.text)
        }
        let rows: [UsageRow]
        switch await ledgerRows(UsageQuery(from: from, to: to, granularity: .day), metrics: nil, context: context) {
        case .success(let value): rows = value
        case .failure(let refusal): return JSONAnswer.detail(503, refusal.text)
        }
        let byMetric = serviceTypesByMetric
        var total = Money.zero
        var byService: [String: Money] = [:]
        var users: Set<String> = []
        for row in rows {
            total += row.amount
            byService[byMetric[row.metric]?.first ?? row.metric, default: .zero] += row.amount
            users.insert(row.subject)
        }
        return JSONAnswer.object([
            ("total_billing_records", .integer(Int64(rows.count))), ("pending_billing_records", .integer(0)),
            ("completed_billing_records", .integer(Int64(rows.count))), ("failed_billing_records", .integer(0)),
            ("total_revenue", .string(total.description)),
            (
                "revenue_by_service",
                .object(byService.sorted { $0.key < $1.key }.map { ($0.key, JSONAnswer.string($0.value.description)) })
            ),
            ("revenue_by_method", .object([])), ("active_users", .integer(Int64(users.count))),
            ("active_organizations", .integer(0)), ("stats_period_start", .string(from.rfc3339())),
            ("stats_period_end", .string(to.adding(.seconds(-1)).rfc3339())),
        ]).response()
    }

    /// §5's health answer; `database` is the ledger's (a one-row read).
    func health(context: any PushContext) async -> PushResponse {
        var database = "unavailable"
        if let ledger = context.ledger {
            let now = self.now(context).minuteStart
            let probe = UsageQuery(
                subject: "\u{1}health", from: now, to: now.adding(.seconds(60)), granularity: .minute)
            database = (try? await ledger.usage(probe, after: nil, limit: 1)) != nil ? "healthy" : "unhealthy"
        }
        let healthy = database == "healthy"
        return JSONAnswer.object([
            ("status", .string(healthy ? "healthy" : "unhealthy")), ("service", .string("billing_service")),
            ("port", .integer(Int64(settings.healthPort))), ("version", .string("1.0.0")),
            ("dependencies", .object([("database", .string(database))])),
        ]).response(healthy ? 200 : 503)
    }
}
