public import Invoicing
public import Logging

/// The postgres sink keeps invoices beside its ledger: the CLI (and later the
/// daemon) asks configured sinks for this capability instead of naming the sink.
extension PostgresSink: InvoiceStoreProvider {
    public var invoiceStoreID: String { id }

    public func invoiceStore() throws -> any InvoiceStore {
        let database = try database()
        return PostgresInvoiceStore(database: database, schema: database.schema)
    }
}

/// `invoice … --database-url`: the invoices of a ledger in the default schema.
extension PostgresSinkFactory: InvoiceStoreFactory {
    public func invoiceStore(databaseURL: String, logger: Logger) throws -> (
        store: any InvoiceStore, close: @Sendable () async -> Void
    ) {
        let database = LedgerDatabase(url: try DatabaseURL(parsing: databaseURL), logger: logger)
        return (PostgresInvoiceStore(database: database, schema: database.schema), { await database.shutdown() })
    }
}
