import Core
import Host
import Hummingbird
import Prometheus

/// `/healthz`, `/readyz` and `/metrics`: open endpoints for probes and scrapers.
extension APIServer {
    /// Consecutive failed collections after which a source makes the daemon degraded.
    static let degradedAfterFailures = 3
    /// How long `/readyz` waits for each ledger database (for a connection, then
    /// for the schema query): a dead server is reported within about twice this.
    static let readinessDeadline = Duration.milliseconds(800)

    struct Health: Encodable {
        var status: String
        var message: String
    }

    /// `ok`, or `degraded` (503) naming each stopped pipeline, each pipeline
    /// whose start attempts failed so far (it keeps trying), and each failing source.
    func health() -> Response {
        var problems: [String] = []
        for engine in roster.engines {
            if let failure = engine.failure { problems.append("pipeline \(engine.id) stopped: \(failure)") }
            if let start = engine.startProblem {
                problems.append(
                    "pipeline \(engine.id) cannot start (\(start.attempts) failed attempts, retrying): \(start.error)")
            }
        }
        for source in roster.sources {
            let state = roster.state(of: source)
            if state.consecutiveFailures >= Self.degradedAfterFailures {
                problems.append(
                    "source \(source.id): \(state.consecutiveFailures) consecutive failures, last: \(state.lastError ?? "")"
                )
            }
        }
        if problems.isEmpty { return JSONResponse.make(Health(status: "ok", message: "all pipelines running")) }
        return JSONResponse.make(
            Health(status: "degraded", message: problems.joined(separator: "; ")), status: .serviceUnavailable)
    }

    struct Readiness: Encodable {
        struct Dependency: Encodable {
            var name: String
            var ready: Bool
            var message: String?
            /// `standby` when another process holds the pipeline's lock, `claiming` while taking it.
            var reason: String? = nil
        }
        var status: String
        var dependencies: [Dependency]
    }

    /// `ready` when every pipeline has loaded its state and opened its sinks and
    /// every sink and store that reports readiness (a ledger database: it
    /// answers with a current schema) is ready within
    /// `readinessDeadline` (asked again on every call, so readiness follows the
    /// database); `not_ready` (503) otherwise.
    func readiness() async -> Response {
        var dependencies: [Readiness.Dependency] = []
        for engine in roster.engines {
            let ready = engine.isReady
            if !ready, engine.failure == nil, engine.role != .holder {
                dependencies.append(
                    .init(
                        name: "pipeline:\(engine.id)", ready: false, message: engine.notReadyReason,
                        reason: engine.role.name))
                continue
            }
            dependencies.append(
                .init(
                    name: "pipeline:\(engine.id)", ready: ready,
                    message: ready
                        ? nil
                        : engine.failure ?? engine.startProblem.map { "cannot start: \($0.error)" }
                            ?? "starting (loading state, opening sinks) or stopping"))
        }
        for dependency in readiness {
            do {
                try await dependency.checkReady(within: Self.readinessDeadline)
                dependencies.append(.init(name: dependency.readinessName, ready: true))
            } catch {
                dependencies.append(.init(name: dependency.readinessName, ready: false, message: "\(error)"))
            }
        }
        let ready = dependencies.allSatisfy(\.ready)
        return JSONResponse.make(
            Readiness(status: ready ? "ready" : "not_ready", dependencies: dependencies),
            status: ready ? .ok : .serviceUnavailable)
    }

    /// Prometheus text format; per-source gauges are refreshed from the committed state first.
    func prometheusText() -> Response {
        for source in roster.sources {
            let state = roster.state(of: source)
            metrics.source(
                source.id, lagSeconds: roster.lagSeconds(of: source), lastSuccess: state.lastSucceededAt,
                consecutiveFailures: state.consecutiveFailures)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }
}
