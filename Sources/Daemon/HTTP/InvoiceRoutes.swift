public import Core
import Foundation
import Hummingbird
import Invoicing

/// The invoice routes (issue 14) on the paths the NestJS deployment's gateway
/// already exposes (UPSTREAMS §8), so its clients keep working. The daemon
/// mounts them always; they answer 404 `no_invoices` unless a sink of the
/// configuration keeps invoices (`InvoiceStoreProvider`: postgres) and
/// `rating.price_book` prices them.
extension APIRoute {
    public static let invoices = APIRoute(method: "GET", path: "/v1/billing/invoices", scope: .read)
    public static let invoice = APIRoute(method: "GET", path: "/v1/billing/invoices/{id}", scope: .read)
    public static let invoiceDownload = APIRoute(
        method: "GET", path: "/v1/billing/invoices/{id}/download", scope: .read)
    public static let invoiceFinalize = APIRoute(
        method: "POST", path: "/v1/admin/invoices/{id}/finalize", scope: .finance)
    public static let invoiceVoid = APIRoute(method: "POST", path: "/v1/admin/invoices/{id}/void", scope: .finance)
    public static let invoiceJob = APIRoute(method: "POST", path: "/v1/jobs/invoice", scope: .admin)

    static let invoicing = [invoices, invoice, invoiceDownload, invoiceFinalize, invoiceVoid, invoiceJob]
}

extension AccessScope {
    /// Finalizing and voiding invoices (the gateway's `platform.finance`).
    public static let finance = AccessScope(rawValue: "platform.finance")
}

extension APIServer {
    /// The handler of one invoice route.
    func invoiceHandler(for route: APIRoute) -> Handler {
        { request, _ in
            guard let handlers = self.invoicing else {
                return JSONResponse.error(
                    .notFound, code: "no_invoices",
                    "no sink of the configuration keeps invoices (a postgres sink does) or no rating.price_book prices them"
                )
            }
            let query = Dictionary(
                request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { a, _ in a })
            let id = route.parameters(in: request.uri.path)["id"] ?? ""
            let now = self.roster.clock.now()
            let answer: InvoiceHTTPResponse
            switch route {
            case .invoices: answer = await handlers.list(query: query)
            case .invoice: answer = await handlers.show(id: id)
            case .invoiceDownload: answer = await handlers.download(id: id, format: query["format"])
            case .invoiceFinalize:
                let options = await Self.options(request, query: query)
                answer = await handlers.finalize(
                    id: id, force: options.force, reason: options.reason, now: now)
            case .invoiceVoid:
                let options = await Self.options(request, query: query)
                answer = await handlers.void(id: id, reason: options.reason, replace: options.replace, now: now)
            case .invoiceJob: answer = await handlers.runJob(period: query["period"], now: now)
            default: return JSONResponse.error(.notFound, code: "not_found", "no such route")
            }
            return Response(
                status: HTTPResponse.Status(code: answer.status),
                headers: [.contentType: answer.contentType],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
    }

    /// `reason`, `force` (finalize) and `replace` (void) from a JSON body
    /// (`{"reason": "...", "force": true}`) or the query.
    static func options(_ request: Request, query: [String: String]) async -> (
        reason: String?, force: Bool, replace: Bool
    ) {
        var reason = query["reason"]
        var force = query["force"] == "true"
        var replace = query["replace"] == "true"
        if let buffer = try? await request.body.collect(upTo: 64 * 1024), buffer.readableBytes > 0,
            let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]
        {
            if let text = object["reason"] as? String { reason = text }
            if let flag = object["force"] as? Bool { force = flag }
            if let flag = object["replace"] as? Bool { replace = flag }
        }
        return (reason, force, replace)
    }
}
