public import Core
public import Logging

extension PluginRegistry {
    /// The first sink factory, in registry order, that adopts `capability`
    /// (`(any AuditTrailReading).self`): how a command finds what a sink type
    /// offers beyond building sinks, without naming the type.
    public func sinkFactory<Capability>(offering capability: Capability.Type) -> Capability? {
        for factory in sinkFactories {
            if let offered = factory as? Capability { return offered }
        }
        return nil
    }

    /// The sink type that reads back the audit trails it writes (`audit verify`,
    /// `rate --from-audit`). Throws `MissingCapability` when none is registered.
    public func auditTrailReader() throws(MissingCapability) -> any AuditTrailReading {
        guard let reader = sinkFactory(offering: (any AuditTrailReading).self) else {
            throw MissingCapability(capability: "reads audit trails")
        }
        return reader
    }

    /// The ledger at a bare database URL (`--database-url`), opened by the sink
    /// type that offers it. Throws that type's error about the URL, or
    /// `MissingCapability` when no registered sink type opens a ledger from a URL.
    public func ledgerAdministration(databaseURL: String, logger: Logger) throws -> any LedgerAdministration {
        guard let factory = sinkFactory(offering: (any LedgerAdministrationFactory).self) else {
            throw MissingCapability(capability: "opens a ledger from a database URL")
        }
        return try factory.ledgerAdministration(databaseURL: databaseURL, logger: logger)
    }
}
