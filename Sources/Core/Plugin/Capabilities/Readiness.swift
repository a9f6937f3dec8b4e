/// A sink or store that depends on something that can be down (a database):
/// `/readyz` and the commands' preflight ask every plugin that adopts it.
public protocol ReadinessReporting: Sendable {
    /// The dependency's name in `/readyz` (`postgres:ledger`).
    var readinessName: String { get }
    /// Returns when the dependency answers and is usable (schema current)
    /// within `deadline`; throws `PluginError` naming why not. A permanent
    /// error (wrong password, unknown database) is one no retry cures.
    func checkReady(within deadline: Duration) async throws
    /// Fails only when the dependency refuses in a way no retry cures (wrong
    /// password, unknown role or database), so a command fails at once instead
    /// of retrying for ever; an unreachable dependency passes (it is retried).
    func checkNotRefused(within deadline: Duration) async throws
}

/// A plugin holding clients that live as long as the process (database pools):
/// the daemon starts them before the pipelines and shuts them down after.
public protocol ClientLifecycle: Sendable {
    /// Makes the clients without I/O beyond reading their secrets, so a daemon
    /// whose database URL cannot be read fails at start, naming it.
    func prepareClients() throws
    func startClients()
    func shutdownClients() async
}
