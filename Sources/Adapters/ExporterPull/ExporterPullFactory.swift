public import Core

/// Builds `exporter_pull` sources: the production adapter that pulls each
/// xray-exporter's snapshot window (UPSTREAMS §1) over HTTPS.
public struct ExporterPullFactory: SourceFactory {
    public init() {}

    public var type: String { "exporter_pull" }

    public var summary: String {
        "Pulls xray-exporter snapshot windows over HTTPS (bearer token, CA/mTLS, catch-up after downtime)"
    }

    public func makeSource(id: String, config: ConfigMap, context: PluginContext) -> (any ObservationSource)? {
        guard let (settings, metering) = Self.decode(config, context: context) else { return nil }
        return ExporterPullSource(id: id, metering: metering, settings: settings, context: context)
    }

    /// Decodes and validates one `sources.<id>` entry; `nil` when any problem was recorded.
    public static func decode(_ config: ConfigMap, context: PluginContext) -> (ExporterPullSettings, MeteringOptions)? {
        let before = config.diagnostics.problems.count
        let defaults = ExporterPullSettings(baseURL: "")
        let baseURL = config.string("base_url", required: true)
        let token = config.secret("token")
        let caFile = config.string("ca_file")
        let clientCert = config.string("client_cert_file")
        let clientKey = config.string("client_key_file")
        let nodeID = config.string("expected_node_id")
        let env = config.string("expected_env")
        let positive = Duration.nanoseconds(1)
        let lookback = config.duration("initial_lookback", minimum: positive) ?? defaults.initialLookback
        let overlap = config.duration("overlap") ?? defaults.overlap
        let settle = config.duration("settle_delay") ?? defaults.settleDelay
        let interval = config.duration("interval", minimum: .seconds(1)) ?? defaults.interval
        let step = config.duration("catch_up_step", minimum: .seconds(60)) ?? defaults.catchUpStep
        let timeout = config.duration("timeout", minimum: .milliseconds(1)) ?? defaults.timeout
        let connectTimeout =
            config.duration("connect_timeout", minimum: .milliseconds(1)) ?? min(defaults.connectTimeout, timeout)
        let pageLimit = config.integer("page_limit", in: 1...1000) ?? defaults.pageLimit
        let maxBody = config.size("max_body_bytes") ?? defaults.maxBodyBytes
        let insecure = config.bool("allow_insecure_http") ?? false
        let attempts = config.integer("attempts", in: 1...100) ?? defaults.attempts
        let backoff = config.duration("retry_backoff") ?? defaults.retryBackoff
        let breakerFailures = config.integer("breaker_failures", in: 1...1000) ?? defaults.breakerFailures
        let breakerCooldown = config.duration("breaker_cooldown") ?? defaults.breakerCooldown
        config.declare(MeteringOptions.configKeys)
        let metering = MeteringOptions.read(from: config, window: ExporterPullSettings.defaultWindow)
        config.finish()

        if let maxAge = metering.window.maxAge, maxAge < ExporterPullSettings.minimumMaxAge {
            config.problem(
                "max_age",
                "must be at least 73h (or none): the exporter keeps 72 h and a catch-up reaches back that far, so a shorter limit would refuse catch-up data"
            )
        }

        if lookback > ExporterPullSettings.retention {
            config.problem("initial_lookback", "must be at most 72h (the exporter keeps 72 h of snapshots)")
        }
        if maxBody < 1024 { config.problem("max_body_bytes", "must be at least 1KiB") }
        if let baseURL {
            let lower = baseURL.lowercased()
            if lower.hasPrefix("http://") {
                if !insecure {
                    config.problem(
                        "base_url",
                        "plain http:// is refused: use https://, or set allow_insecure_http: true (loopback development only)"
                    )
                }
            } else if !lower.hasPrefix("https://") {
                config.problem("base_url", "expected an https:// URL, found \"\(baseURL)\"")
            }
            if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
                let rest = baseURL.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
                if rest.count < 3 || rest[2].isEmpty { config.problem("base_url", "the URL has no host") }
                if baseURL.contains("?") || baseURL.contains("#") {
                    config.problem("base_url", "must not carry a query or fragment")
                }
            }
        }
        if (clientCert == nil) != (clientKey == nil) {
            config.problem(
                clientCert == nil ? "client_key_file" : "client_cert_file",
                "mTLS needs both client_cert_file and client_key_file")
        }
        guard config.diagnostics.problems.count == before, var baseURL else { return nil }
        while baseURL.hasSuffix("/") { baseURL.removeLast() }
        let settings = ExporterPullSettings(
            baseURL: baseURL, token: token, caFile: caFile.map { context.resolve(path: $0) },
            clientCertFile: clientCert.map { context.resolve(path: $0) },
            clientKeyFile: clientKey.map { context.resolve(path: $0) }, expectedNodeID: nodeID, expectedEnv: env,
            initialLookback: lookback, overlap: overlap, settleDelay: settle, interval: interval, catchUpStep: step,
            timeout: timeout, connectTimeout: connectTimeout, pageLimit: pageLimit, maxBodyBytes: maxBody,
            allowInsecureHTTP: insecure, attempts: attempts, retryBackoff: backoff, breakerFailures: breakerFailures,
            breakerCooldown: breakerCooldown)
        return (settings, metering)
    }
}
