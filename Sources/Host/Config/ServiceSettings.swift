public import Core

/// The `service:` section of plugins.yaml: how the daemon listens, who may call
/// it, and how long it may take to stop.
public struct ServiceSettings: Sendable, Hashable {
    /// What a bearer token may do.
    public enum Scope: String, Sendable, Hashable, CaseIterable, Comparable {
        /// `GET /v1/status`, `GET /v1/usage`.
        case read = "billing:read"
        /// `POST /v1/jobs/*`.
        case admin = "billing:admin"
        /// `POST /v1/ingest/snapshots`.
        case ingest
        /// `POST /v1/admin/invoices/{id}/finalize` and `/void` (the gateway's finance scope).
        case finance = "platform.finance"

        public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// One `service.tokens[i]` entry: where the token lives, never the token.
    public struct Token: Sendable, Hashable {
        public var id: String
        public var secret: SecretReference
        public var scopes: Set<Scope>

        public init(id: String, secret: SecretReference, scopes: Set<Scope>) {
            self.id = id
            self.secret = secret
            self.scopes = scopes
        }
    }

    /// `listen: "127.0.0.1:3020"`.
    public var host: String
    public var port: Int
    /// Optional second listener for the open endpoints (`/healthz`, `/readyz`,
    /// `/metrics`); when set they are served only there.
    public var probeHost: String?
    public var probePort: Int?
    public var tokens: [Token]
    /// How long SIGTERM/SIGINT may take to drain, commit and close before the daemon gives up.
    public var shutdownGrace: Duration
    /// How often pull sources without an interval of their own are collected.
    public var collectInterval: Duration
    /// Up to this fraction (in percent) of the interval is added at random, so sources spread out.
    public var jitterPercent: Int
    /// How long a push waits for its batch to be committed before it is
    /// answered 503 with `Retry-After` (the database may be down); the batch,
    /// if it was not started yet, is dropped, and a retry of the same body is
    /// replay-safe either way.
    public var pushCommitTimeout: Duration = .seconds(10)
    /// A connection must deliver a complete request head within this of opening
    /// (or of its first byte after a keep-alive pause); then it is closed.
    public var headerTimeout: Duration = .seconds(10)
    /// A request body must be complete within this of its head.
    public var bodyTimeout: Duration = .seconds(60)
    /// A kept-alive connection with no request in progress is closed after this.
    public var idleTimeout: Duration = .seconds(60)
    /// Connections open at once per listener; one more is answered 503 and closed.
    public var maxConnections: Int = 512
    /// `service.invoicing`: when the daemon runs the month's drafts; nil: it does not.
    public var invoicing: InvoicingSchedule? = nil

    /// `service.invoicing: { schedule: "5 0 1 * *", finalize: manual|auto }`.
    public struct InvoicingSchedule: Sendable, Hashable {
        public enum Finalize: String, Sendable, Hashable, CaseIterable {
            /// Drafts only; finance finalizes.
            case manual
            /// Each draft is finalized once its completeness gate passes.
            case auto
        }

        /// When to run (UTC): the period run is the month before the one the time falls in.
        public var schedule: CronSchedule
        public var finalize: Finalize
        /// How often a period with drafts still refused by the gate is tried again (auto only).
        public var retry: Duration

        public init(schedule: CronSchedule, finalize: Finalize = .manual, retry: Duration = .seconds(900)) {
            self.schedule = schedule
            self.finalize = finalize
            self.retry = retry
        }
    }

    public init(
        host: String = "127.0.0.1", port: Int = 3020, probeHost: String? = nil, probePort: Int? = nil,
        tokens: [Token] = [], shutdownGrace: Duration = .seconds(30), collectInterval: Duration = .seconds(60),
        jitterPercent: Int = 10
    ) {
        self.host = host
        self.port = port
        self.probeHost = probeHost
        self.probePort = probePort
        self.tokens = tokens
        self.shutdownGrace = shutdownGrace
        self.collectInterval = collectInterval
        self.jitterPercent = jitterPercent
    }

    /// Decodes `service:`, recording every problem with its path and line; `nil` when there was any.
    public static func decode(_ map: ConfigMap) -> ServiceSettings? {
        let before = map.diagnostics.problems.count
        var settings = ServiceSettings()
        if let listen = map.string("listen") {
            if let (host, port) = parseAddress(listen) {
                settings.host = host
                settings.port = port
            } else {
                map.problem("listen", "expected HOST:PORT such as 127.0.0.1:3020, found \"\(listen)\"")
            }
        }
        if let probe = map.string("probe_listen") {
            if let (host, port) = parseAddress(probe) {
                settings.probeHost = host
                settings.probePort = port
            } else {
                map.problem("probe_listen", "expected HOST:PORT such as 127.0.0.1:3021, found \"\(probe)\"")
            }
        }
        settings.shutdownGrace = map.duration("shutdown_grace", minimum: .seconds(1)) ?? settings.shutdownGrace
        settings.collectInterval = map.duration("collect_interval", minimum: .seconds(1)) ?? settings.collectInterval
        settings.jitterPercent = map.integer("jitter_percent", in: 0...100) ?? settings.jitterPercent
        settings.pushCommitTimeout =
            map.duration("push_commit_timeout", minimum: .milliseconds(100)) ?? settings.pushCommitTimeout
        settings.headerTimeout = map.duration("header_timeout", minimum: .milliseconds(100)) ?? settings.headerTimeout
        settings.bodyTimeout = map.duration("body_timeout", minimum: .milliseconds(100)) ?? settings.bodyTimeout
        settings.idleTimeout = map.duration("idle_timeout", minimum: .milliseconds(100)) ?? settings.idleTimeout
        settings.maxConnections = map.integer("max_connections", in: 1...1_000_000) ?? settings.maxConnections
        if let invoicing = map.map("invoicing") {
            settings.invoicing = decodeInvoicing(invoicing)
        }
        var seen: [String: String] = [:]
        for (path, node) in map.list("tokens") ?? [] {
            let entry = ConfigMap(node, path: path, diagnostics: map.diagnostics)
            let id = entry.string("id", required: true)
            let secret = entry.secret("token", required: true)
            let names = entry.stringList("scopes", required: true) ?? []
            entry.finish()
            var scopes: Set<Scope> = []
            for name in names {
                guard let scope = Scope(rawValue: name) else {
                    let valid = Scope.allCases.map(\.rawValue).joined(separator: ", ")
                    entry.problem("scopes", "unknown scope \"\(name)\" (valid: \(valid))")
                    continue
                }
                scopes.insert(scope)
            }
            if entry.has("scopes"), names.isEmpty { entry.problem("scopes", "at least one scope is required") }
            if let id {
                if let first = seen[id] {
                    entry.problem("id", "token id \"\(id)\" is already used by \(first)")
                } else {
                    seen[id] = path
                }
            }
            if let id, let secret { settings.tokens.append(Token(id: id, secret: secret, scopes: scopes)) }
        }
        map.finish()
        if let probePort = settings.probePort, probePort != 0, probePort == settings.port,
            settings.probeHost == settings.host
        {
            map.problem("probe_listen", "must differ from listen")
        }
        return map.diagnostics.problems.count == before ? settings : nil
    }

    static func decodeInvoicing(_ map: ConfigMap) -> InvoicingSchedule? {
        var schedule: CronSchedule?
        if let text = map.string("schedule", required: true) {
            do {
                schedule = try CronSchedule(text)
            } catch {
                map.problem("schedule", error.description)
            }
        }
        var finalize = InvoicingSchedule.Finalize.manual
        if let text = map.string("finalize") {
            if let value = InvoicingSchedule.Finalize(rawValue: text) {
                finalize = value
            } else {
                map.problem("finalize", "unknown value \"\(text)\" (valid: manual, auto)")
            }
        }
        let retry = map.duration("retry", minimum: .seconds(1)) ?? .seconds(900)
        map.finish()
        return schedule.map { InvoicingSchedule(schedule: $0, finalize: finalize, retry: retry) }
    }

    /// `host:port` or `[v6]:port`, port 0...65535 (0: any free port, for tests).
    static func parseAddress(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(" ") else { return nil }
        return (host, port)
    }
}
