public import Core

/// A validated `exporter_pull` configuration: everything a reader needs to pull
/// one exporter's snapshot window, paths already resolved.
public struct ExporterPullSettings: Sendable {
    /// `https://exporter-1.example:9443` (no trailing slash).
    public var baseURL: String
    /// Where the bearer token lives (`token_env` / `token_file`); `nil`: no Authorization header.
    public var token: SecretReference?
    /// PEM bundle of CAs trusted for this exporter, instead of the system roots.
    public var caFile: String?
    /// PEM client certificate (chain) and key for mTLS.
    public var clientCertFile: String?
    public var clientKeyFile: String?
    /// A page whose `node_id`/`env` differs fails the source.
    public var expectedNodeID: String?
    public var expectedEnv: String?
    /// First run: pull from now minus this (at most the exporter's 72 h retention).
    public var initialLookback: Duration
    /// Each window starts this much before the committed cursor (metering drops what it already saw).
    public var overlap: Duration
    /// The window ends this much before now, so snapshots still being written are not missed.
    public var settleDelay: Duration
    /// Continuous mode: pause between collections (plus up to 10 % jitter).
    public var interval: Duration
    /// Catch-up: the longest window one batch covers.
    public var catchUpStep: Duration
    /// Whole request (headers and body) limit.
    public var timeout: Duration
    /// TCP (and TLS handshake) connect limit.
    public var connectTimeout: Duration
    /// `limit=` per page (the exporter caps it at 1000).
    public var pageLimit: Int
    /// A larger response body is an error, not an out-of-memory.
    public var maxBodyBytes: Int64
    /// `http://` is refused unless this is set (loopback development).
    public var allowInsecureHTTP: Bool
    /// Attempts per request for retryable errors (5xx, timeouts, connection errors).
    public var attempts: Int
    /// First retry delay; doubled each attempt, with jitter.
    public var retryBackoff: Duration
    /// Consecutive failed collections that open the circuit breaker.
    public var breakerFailures: Int
    /// How long an open breaker refuses to call the exporter.
    public var breakerCooldown: Duration

    /// The clock window unless `max_future_skew`/`max_age` say otherwise: 5 minutes
    /// of clock drift ahead, and a week behind, well past the 72 h a catch-up can
    /// reach back (a shorter `max_age` would refuse catch-up data; see `minimumMaxAge`).
    public static let defaultWindow = ObservationWindow(maxFutureSkew: .seconds(5 * 60), maxAge: .seconds(7 * 86_400))

    /// `max_age` may not be shorter: the exporter's 72 h plus an hour for the
    /// catch-up's own duration and the settle delay.
    public static let minimumMaxAge: Duration = .seconds(73 * 3600)

    /// The exporter keeps 72 h of snapshots: nothing older can be fetched.
    public static let retention: Duration = .seconds(72 * 3600)

    public init(
        baseURL: String, token: SecretReference? = nil, caFile: String? = nil, clientCertFile: String? = nil,
        clientKeyFile: String? = nil, expectedNodeID: String? = nil, expectedEnv: String? = nil,
        initialLookback: Duration = .seconds(3600), overlap: Duration = .seconds(120),
        settleDelay: Duration = .seconds(60), interval: Duration = .seconds(60),
        catchUpStep: Duration = .seconds(3600), timeout: Duration = .seconds(30),
        connectTimeout: Duration = .seconds(5), pageLimit: Int = 1000, maxBodyBytes: Int64 = 32 << 20,
        allowInsecureHTTP: Bool = false, attempts: Int = 3, retryBackoff: Duration = .milliseconds(500),
        breakerFailures: Int = 5, breakerCooldown: Duration = .seconds(60)
    ) {
        self.baseURL = baseURL
        self.token = token
        self.caFile = caFile
        self.clientCertFile = clientCertFile
        self.clientKeyFile = clientKeyFile
        self.expectedNodeID = expectedNodeID
        self.expectedEnv = expectedEnv
        self.initialLookback = initialLookback
        self.overlap = overlap
        self.settleDelay = settleDelay
        self.interval = interval
        self.catchUpStep = catchUpStep
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.pageLimit = pageLimit
        self.maxBodyBytes = maxBodyBytes
        self.allowInsecureHTTP = allowInsecureHTTP
        self.attempts = attempts
        self.retryBackoff = retryBackoff
        self.breakerFailures = breakerFailures
        self.breakerCooldown = breakerCooldown
    }

    /// Whether the URL is plain http (refused unless `allowInsecureHTTP`).
    public var isInsecure: Bool { baseURL.lowercased().hasPrefix("http://") }
}
