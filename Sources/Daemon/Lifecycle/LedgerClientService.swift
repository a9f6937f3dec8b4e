import PostgresSink
import ServiceLifecycle

/// The ledger database clients as a service: started first, so stopped last,
/// after every pipeline has committed and closed its sinks.
struct LedgerClientService: Service {
    let ledgers: [LedgerHandle]

    func run() async throws {
        for ledger in ledgers { ledger.database.start() }
        try? await gracefulShutdown()
        for ledger in ledgers { await ledger.database.shutdown() }
    }
}
