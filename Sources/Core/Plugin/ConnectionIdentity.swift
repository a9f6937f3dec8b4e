import Foundation

/// How our connections name themselves to the server (`application_name`), so
/// an operator or a standby can tell which process holds a lock.
public enum ConnectionIdentity {
    /// `billing-service <host> pid <pid>` (PostgreSQL keeps its first 63 bytes).
    public static let applicationName: String = {
        let info = ProcessInfo.processInfo
        return "billing-service \(info.hostName) pid \(info.processIdentifier)"
    }()
}
