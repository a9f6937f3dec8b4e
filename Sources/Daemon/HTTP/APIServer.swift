public import Core
import Foundation
import Host
public import Hummingbird
import Invoicing
import Logging
import Prometheus

/// A sink of a pipeline that answers usage questions (`UsageLedger`).
public struct LedgerHandle: Sendable {
    /// The pipeline whose sink this is.
    public var pipeline: String
    public var ledger: any UsageLedger
}

/// The daemon's HTTP API: builds the routers of `routes` (the daemon's own and
/// those the configured push sources declare), each handler wrapped with
/// bearer auth (by the route's scope) and request metrics; a known path asked
/// with another method answers 405 (`MethodGuard`).
public struct APIServer: Sendable {
    let roster: SourceRoster
    let scheduler: CollectionScheduler
    let authenticator: Authenticator
    let metrics: DaemonMetrics
    let registry: PrometheusCollectorRegistry
    let ledgers: [LedgerHandle]
    /// The configured price book, lent to push sources' quote routes.
    let pricing: (any UsagePricing)?
    /// The invoice routes' handlers, when a sink keeps invoices and a price book prices them.
    let invoicing: InvoiceHandlers?
    /// Where push sources record activity spans (the invoice store), when a sink keeps them.
    let activity: (any ActivityRecording)?
    let logger: Logger
    /// How long a push waits for its commit (`service.push_commit_timeout`).
    var pushCommitTimeout: Duration = .seconds(10)
    /// The routes push sources declared, with the sources behind each.
    let pushMounts: [PushMount]
    /// Sinks and state stores `/readyz` asks, by readiness name.
    let readiness: [any ReadinessReporting]

    init(
        roster: SourceRoster, scheduler: CollectionScheduler, authenticator: Authenticator, metrics: DaemonMetrics,
        registry: PrometheusCollectorRegistry, ledgers: [LedgerHandle], readiness: [any ReadinessReporting],
        pricing: (any UsagePricing)? = nil, invoicing: InvoiceHandlers? = nil,
        activity: (any ActivityRecording)? = nil, logger: Logger,
        pushCommitTimeout: Duration
    ) {
        self.roster = roster
        self.scheduler = scheduler
        self.authenticator = authenticator
        self.metrics = metrics
        self.registry = registry
        self.ledgers = ledgers
        self.pricing = pricing
        self.invoicing = invoicing
        self.activity = activity
        self.readiness = readiness
        self.logger = logger
        self.pushCommitTimeout = pushCommitTimeout
        self.pushMounts = Self.pushMounts(of: roster)
    }

    /// Every route this daemon serves: its own, then the push sources'.
    public var routes: [APIRoute] { APIRoute.builtIn + pushMounts.map(\.route) }

    /// The router serving `routes` (all of them, or the API and probe halves
    /// when probes have their own listener).
    public func router(for routes: [APIRoute]) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: MethodGuard(routes: routes, metrics: metrics))
        for route in routes {
            let handler = wrap(route, handler(for: route))
            switch route.method {
            case "POST": router.post(RouterPath(route.routerPath), use: handler)
            case "PUT": router.put(RouterPath(route.routerPath), use: handler)
            case "DELETE": router.delete(RouterPath(route.routerPath), use: handler)
            default: router.get(RouterPath(route.routerPath), use: handler)
            }
        }
        return router
    }

    typealias Handler = @Sendable (Request, BasicRequestContext) async -> Response

    private func handler(for route: APIRoute) -> Handler {
        if route.push != nil {
            guard let mount = pushMounts.first(where: { $0.route == route }) else {
                return { _, _ in JSONResponse.error(.notFound, code: "not_found", "no such route") }
            }
            return { request, _ in await self.push(request, mount: mount) }
        }
        if APIRoute.invoicing.contains(route) { return invoiceHandler(for: route) }
        switch route {
        case .healthz: return { _, _ in self.health() }
        case .readyz: return { _, _ in await self.readiness() }
        case .metrics: return { _, _ in self.prometheusText() }
        case .status: return { _, _ in await self.status() }
        case .usage, .billingUsage: return { request, _ in await self.usage(request) }
        case .collect: return { request, _ in await self.collect(request) }
        case .reconcile: return { request, _ in await self.reconcile(request) }
        default: return { _, _ in JSONResponse.error(.notFound, code: "not_found", "no such route") }
        }
    }

    /// Auth first (401/403 with a JSON body), then the handler; every answer is counted and timed.
    private func wrap(_ route: APIRoute, _ handler: @escaping Handler)
        -> @Sendable (Request, BasicRequestContext)
        async throws -> Response
    {
        { request, context in
            let start = ContinuousClock.now
            var response: Response
            if let scope = route.scope {
                do throws(Authenticator.Refusal) {
                    _ = try authenticator.authorize(request.headers[.authorization], scope: scope)
                    response = await handler(request, context)
                } catch {
                    switch error {
                    case .unauthenticated(let message):
                        response = JSONResponse.error(.unauthorized, code: "unauthorized", message)
                        response.headers[.wwwAuthenticate] = "Bearer"
                    case .forbidden(let message):
                        response = JSONResponse.error(.forbidden, code: "forbidden", message)
                    }
                }
            } else {
                response = await handler(request, context)
            }
            metrics.request(
                route: route.path, method: route.method, status: response.status.code,
                nanoseconds: (ContinuousClock.now - start).totalNanoseconds)
            return response
        }
    }

    /// Maps an error of a handler to its status and JSON body.
    static func failure(_ error: any Error) -> Response {
        if let error = error as? WorkRefusal {
            switch error.kind {
            case .unavailable: return JSONResponse.error(.serviceUnavailable, code: "unavailable", error.message)
            case .notFound: return JSONResponse.error(.notFound, code: "not_found", error.message)
            case .badRequest: return JSONResponse.error(.badRequest, code: "bad_request", error.message)
            }
        }
        return JSONResponse.error(.internalServerError, code: "internal", "\(error)")
    }
}
