import Foundation

/// A database of its own on the server DATABASE_URL names (scripts/test.sh
/// always provides one), made and dropped with psql.
struct TestDatabase {
    let name: String
    let url: String
    let adminURL: String

    init(_ label: String) throws {
        guard let admin = ProcessInfo.processInfo.environment["DATABASE_URL"],
            var components = URLComponents(string: admin)
        else {
            throw HarnessError(message: "DATABASE_URL is not set: run the tests with scripts/test.sh")
        }
        name = "\(label)_\(UUID().uuidString.prefix(8).lowercased())"
        adminURL = admin
        components.path = "/" + name
        guard let made = components.string else { throw HarnessError(message: "cannot build a URL for \(name)") }
        url = made
        try Self.psql(admin, "CREATE DATABASE \(name)")
    }

    func drop() {
        try? Self.psql(adminURL, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    static func psql(_ url: String, _ sql: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw HarnessError(message: "psql failed: \(sql)") }
    }
}
