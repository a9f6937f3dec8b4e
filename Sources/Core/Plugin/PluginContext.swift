public import Logging
public import Metrics

/// Tells the current time; a protocol so tests and simulations control it.
public protocol WallClock: Sendable {
    func now() -> Timestamp
}

/// What every plugin receives from the host: nothing global, everything handed in.
public struct PluginContext: Sendable {
    public var logger: Logger
    public var metrics: any MetricsFactory
    public var clock: any WallClock
    /// Relative paths in a plugin's config resolve against this directory (the config file's).
    public var baseDirectory: String
    /// Reads an environment variable (injected so tests need not mutate the process environment).
    public var environment: @Sendable (String) -> String?

    public init(
        logger: Logger, metrics: any MetricsFactory, clock: any WallClock, baseDirectory: String,
        environment: @escaping @Sendable (String) -> String?
    ) {
        self.logger = logger
        self.metrics = metrics
        self.clock = clock
        self.baseDirectory = baseDirectory
        self.environment = environment
    }

    /// Resolves a config path against `baseDirectory` unless it is absolute.
    public func resolve(path: String) -> String {
        if path.hasPrefix("/") { return path }
        if baseDirectory.isEmpty || baseDirectory == "." { return path }
        return baseDirectory.hasSuffix("/") ? baseDirectory + path : baseDirectory + "/" + path
    }
}
