import Foundation

/// A database of its own on the server DATABASE_URL names (scripts/test.sh
/// always provides one), made and dropped with psql.
struct TestDatabase {
    let name: String
    let url: String
    let adminURL: String

    static var serverURL: String? { ProcessInfo.processInfo.environment["DATABASE_URL"] }

    init(_ label: String) throws {
        guard let admin = Self.serverURL, var components = URLComponents(string: admin) else {
            throw TestDatabaseError(message: "DATABASE_URL is not set: run the tests with scripts/test.sh")
        }
        name = "\(label)_\(UUID().uuidString.prefix(8).lowercased())"
        adminURL = admin
        components.path = "/" + name
        guard let made = components.string else { throw TestDatabaseError(message: "cannot build a URL for \(name)") }
        url = made
        _ = try Self.psql(admin, "CREATE DATABASE \(name)")
    }

    func drop() {
        _ = try? Self.psql(adminURL, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Runs one SQL statement; returns unaligned, tuples-only output.
    func query(_ sql: String) throws -> String { try Self.psql(url, sql) }

    static func psql(_ url: String, _ sql: String) throws -> String {
        let result = try ChildProcess.run(executable: "psql", [url, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql])
        guard result.status == 0 else { throw TestDatabaseError(message: "psql failed: \(result.stderr)") }
        return result.stdout
    }
}

struct TestDatabaseError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
