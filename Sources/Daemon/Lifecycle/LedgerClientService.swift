import Core
import ServiceLifecycle

/// The sinks' long-lived clients (database pools) as a service: started
/// first, so stopped last, after every pipeline has committed and closed its sinks.
struct LedgerClientService: Service {
    let clients: [any ClientLifecycle]

    func run() async throws {
        for client in clients { client.startClients() }
        try? await gracefulShutdown()
        for client in clients { await client.shutdownClients() }
    }
}
