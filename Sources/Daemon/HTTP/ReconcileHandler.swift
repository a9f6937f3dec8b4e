import Core
import Hummingbird

/// `POST /v1/jobs/reconcile?since=T[&until=T][&source=ID…]`: re-reads a past
/// span of each reconcilable source (`ReconcilableSource`) and compares it
/// with the ledger. Writes nothing.
extension APIServer {
    func reconcile(_ request: Request) async -> Response {
        let query = request.uri.queryParameters
        guard let sinceText = query["since"].map({ String($0) }) else {
            return JSONResponse.error(.badRequest, code: "bad_request", "since: an RFC 3339 timestamp is required")
        }
        let since: Timestamp
        do {
            since = try Timestamp.parse(rfc3339: sinceText)
        } catch {
            return JSONResponse.error(.badRequest, code: "bad_request", "since: \(error)")
        }
        var until: Timestamp?
        if let text = query["until"].map({ String($0) }) {
            do {
                until = try Timestamp.parse(rfc3339: text)
            } catch {
                return JSONResponse.error(.badRequest, code: "bad_request", "until: \(error)")
            }
        }
        let pulls = roster.sources.filter { $0.source is any ReconcilableSource }
        let ids = query.getAll("source").map { String($0) }
        for id in ids where !pulls.contains(where: { $0.id == id }) {
            let names = pulls.map(\.id).joined(separator: ", ")
            return JSONResponse.error(
                .notFound, code: "not_found",
                "no reconcilable source \"\(id)\" (reconcilable sources: \(names.isEmpty ? "none" : names))")
        }
        let chosen = ids.isEmpty ? pulls : pulls.filter { ids.contains($0.id) }
        let started = roster.clock.now()
        var reports: [ReconcileReport.SourceReport] = []
        for source in chosen {
            reports.append(await reconcile(source, since: since, until: until))
        }
        let failures = reports.filter { $0.error != nil }.count
        let mismatches = reports.filter { $0.error == nil && !$0.matches }.count
        let status: JobResult.Status =
            reports.isEmpty
            ? .disabled
            : failures == reports.count ? .error : (failures + mismatches == 0 ? .ok : .partial)
        let report = ReconcileReport(
            startedAt: started, finishedAt: roster.clock.now(), status: status, sources: reports)
        return JSONResponse.make(report)
    }

    private func reconcile(_ source: DaemonSource, since: Timestamp, until requested: Timestamp?) async
        -> ReconcileReport.SourceReport
    {
        var report = ReconcileReport.SourceReport(
            sourceID: source.id, since: since, until: nil, comparedAfter: nil, comparedThrough: nil, matches: false,
            differenceCount: 0, differences: [], error: nil)
        guard let pull = source.source as? any ReconcilableSource else {
            report.error = "not a reconcilable source"
            return report
        }
        guard let ledger = ledgers.first(where: { $0.pipeline == source.pipeline })?.ledger else {
            report.error = "pipeline \(source.pipeline) has no usage ledger sink to compare with"
            return report
        }
        guard let committed = roster.status(of: source).lastCompletedUntil else {
            report.error = "nothing committed yet"
            return report
        }
        // Only what was committed can be compared.
        let until = min(requested ?? committed, committed)
        report.until = until
        guard since < until else {
            report.error = "since must be before until (and the committed cursor, \(committed))"
            return report
        }
        do {
            let observations = try await pull.observations(since: since, until: until)
            let perMinute = pull.metering.gapAttribution == .end
            guard let expected = try Reconciliation.expected(observations, perMinute: perMinute)
            else {
                report.matches = true
                return report
            }
            report.comparedAfter = expected.first
            report.comparedThrough = expected.last
            let rows = try await ledger.sourceMinuteTotals(
                source: source.id, after: expected.first, through: expected.last)
            var held: [Reconciliation.Key: UInt64] = [:]
            for row in rows {
                guard let quantity = UInt64(row.quantity) else {
                    report.error = "ledger quantity \(row.quantity) of \(row.subject) \(row.metric) exceeds 64 bits"
                    return report
                }
                let key = Reconciliation.Key(
                    subject: row.subject, metric: row.metric, minute: perMinute ? row.minute : nil)
                let (sum, overflow) = held[key, default: 0].addingReportingOverflow(quantity)
                if overflow { throw ReconcileOverflow(subject: row.subject, metric: row.metric) }
                held[key] = sum
            }
            let differences = Reconciliation.differences(
                ledger: held.mapValues { String($0) }, expected: expected.increases)
            report.matches = differences.isEmpty
            report.differenceCount = differences.count
            report.differences = Array(differences.prefix(ReconcileReport.differenceLimit))
        } catch {
            report.error = "\(error)"
        }
        return report
    }
}
