public import Core
import Foundation
import Rating

/// An HTTP answer of the invoice routes, independent of the server framework.
public struct InvoiceHTTPResponse: Sendable, Hashable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]

    public init(status: Int, contentType: String, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    static func json(_ status: Int, _ text: String) -> InvoiceHTTPResponse {
        InvoiceHTTPResponse(status: status, contentType: "application/json", body: Array(text.utf8))
    }

    /// The daemon's error body, `{"error": {"code": ..., "message": ...}}`, with the code of `status`.
    static func error(_ status: Int, _ message: String) -> InvoiceHTTPResponse {
        let code =
            switch status {
            case 400: "bad_request"
            case 404: "not_found"
            case 409: "conflict"
            case 503: "unavailable"
            default: "internal"
            }
        let body: [String: Any] = ["error": ["code": code, "message": message]]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data("{}".utf8)
        return InvoiceHTTPResponse(status: status, contentType: "application/json", body: Array(data) + [0x0A])
    }
}

/// The handlers of issue 14's invoice routes as plain functions (request values
/// in, response bytes out), so the daemon mounts each with one line once its
/// router takes them, and tests call them without a server. Scopes are the
/// router's job: `billing:read` for the GETs, `platform.finance` for finalize
/// and void, `billing:admin` for the run job.
public struct InvoiceHandlers: Sendable {
    public let store: any InvoiceStore
    public let settings: InvoicingSettings

    public init(store: any InvoiceStore, settings: InvoicingSettings) {
        self.store = store
        self.settings = settings
    }

    /// Answers thrown errors: 400 bad input, 404 unknown id, 409 wrong state or open period, 503 otherwise.
    func answer(_ body: () async throws -> InvoiceHTTPResponse) async -> InvoiceHTTPResponse {
        do {
            return try await body()
        } catch let error as InvoiceError {
            switch error {
            case .badPeriod, .futurePeriod, .reasonRequired, .couponCurrency, .currencyMismatch:
                return .error(400, error.description)
            case .unknownInvoice: return .error(404, error.description)
            case .notFinalizable, .notVoidable, .incomplete, .locked, .nothingToReplaceWith:
                return .error(409, error.description)
            case .rating, .storage: return .error(500, error.description)
            }
        } catch {
            return .error(503, "\(error)")
        }
    }

    /// `GET /v1/billing/invoices?subject=&period=&status=&limit=&cursor=`: `{"invoices": [...], "next_cursor"}`.
    public func list(query: [String: String]) async -> InvoiceHTTPResponse {
        await answer {
            var filter = InvoiceFilter(subject: query["subject"], limit: 100, after: query["cursor"])
            if let text = query["period"] {
                guard let period = BillingPeriod(text) else { throw InvoiceError.badPeriod(text) }
                filter.period = period
            }
            if let text = query["status"] {
                guard let status = InvoiceStatus(rawValue: text) else {
                    return .error(400, "status must be draft, finalized or void, not \"\(text)\"")
                }
                filter.status = status
            }
            if let text = query["limit"] {
                guard let limit = Int(text), (1...1_000).contains(limit) else {
                    return .error(400, "limit must be 1...1000, not \"\(text)\"")
                }
                filter.limit = limit
            }
            let invoices = try await store.invoices(filter)
            let items = invoices.map { String(decoding: InvoiceJSON.encode($0), as: UTF8.self) }
            let next = invoices.count == filter.limit ? invoices.last.map { "\"\($0.id)\"" } ?? "null" : "null"
            return .json(200, "{\"invoices\":[" + items.joined(separator: ",") + "],\"next_cursor\":\(next)}\n")
        }
    }

    /// `GET /v1/billing/invoices/{id}`.
    public func show(id: String) async -> InvoiceHTTPResponse {
        await answer {
            guard let invoice = try await store.invoice(id: id) else { throw InvoiceError.unknownInvoice(id) }
            return .json(200, String(decoding: InvoiceJSON.encode(invoice), as: UTF8.self) + "\n")
        }
    }

    /// `GET /v1/billing/invoices/{id}/download?format=html|csv|json` (default html).
    public func download(id: String, format: String?) async -> InvoiceHTTPResponse {
        await answer {
            guard let invoice = try await store.invoice(id: id) else { throw InvoiceError.unknownInvoice(id) }
            switch format ?? "html" {
            case "html":
                return InvoiceHTTPResponse(
                    status: 200, contentType: "text/html; charset=utf-8", body: Array(InvoiceHTML.render(invoice).utf8))
            case "csv":
                return InvoiceHTTPResponse(
                    status: 200, contentType: "text/csv; charset=utf-8", body: Array(InvoiceCSV.render([invoice]).utf8))
            case "json":
                return .json(200, InvoiceJSON.pretty(invoice))
            case let other:
                return .error(400, "format must be html, csv or json, not \"\(other)\"")
            }
        }
    }

    /// `POST /v1/admin/invoices/{id}/finalize` (`force`, `reason` from the body or query).
    public func finalize(id: String, force: Bool, reason: String?, now: Timestamp) async -> InvoiceHTTPResponse {
        await answer {
            let invoice = try await InvoiceLifecycle(store: store, settings: settings).finalize(
                id: id, force: force, reason: reason, now: now)
            return .json(200, String(decoding: InvoiceJSON.encode(invoice), as: UTF8.self) + "\n")
        }
    }

    /// `POST /v1/admin/invoices/{id}/void` (`reason` required; `replace` also
    /// drafts the replacement, answered as `replacement` beside the voided invoice's fields).
    public func void(id: String, reason: String?, replace: Bool = false, now: Timestamp) async -> InvoiceHTTPResponse {
        await answer {
            guard let reason, !reason.isEmpty else { throw InvoiceError.reasonRequired("void") }
            let lifecycle = InvoiceLifecycle(store: store, settings: settings)
            guard replace else {
                let invoice = try await lifecycle.void(id: id, reason: reason, now: now)
                return .json(200, String(decoding: InvoiceJSON.encode(invoice), as: UTF8.self) + "\n")
            }
            let (voided, replacement) = try await lifecycle.voidAndReplace(id: id, reason: reason, now: now)
            var body = InvoiceJSON.encode(voided)
            // The voided invoice's object with one more key: `"replacement": {…}` before its closing brace.
            if body.last == UInt8(ascii: "}") {
                body.removeLast()
                body += Array(#","replacement":"#.utf8) + InvoiceJSON.encode(replacement) + [UInt8(ascii: "}")]
            }
            return .json(200, String(decoding: body, as: UTF8.self) + "\n")
        }
    }

    /// `POST /v1/jobs/invoice?period=`: runs the period's drafts; answers the run report.
    public func runJob(period text: String?, now: Timestamp) async -> InvoiceHTTPResponse {
        await answer {
            guard let text else { return .error(400, "period is required (2026-11)") }
            let period = try InvoiceRun.period(text, now: now)
            let result = try await InvoiceRun(store: store, settings: settings).run(period: period)
            return .json(200, RunReport.render(result, period: period.description, format: .json))
        }
    }
}
