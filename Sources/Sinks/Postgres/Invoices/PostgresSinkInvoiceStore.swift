public import Invoicing

/// The postgres sink keeps invoices beside its ledger: the CLI (and later the
/// daemon) asks configured sinks for this capability instead of naming the sink.
extension PostgresSink: InvoiceStoreProvider {
    public var invoiceStoreID: String { id }

    public func invoiceStore() throws -> any InvoiceStore {
        let database = try database()
        return PostgresInvoiceStore(database: database, schema: database.schema)
    }
}
