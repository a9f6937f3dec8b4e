import Foundation

/// A database of its own on the server DATABASE_URL names (scripts/test.sh
/// always provides one), made and dropped with psql.
///
/// psql is awaited through its termination handler, never `waitUntilExit`:
/// a blocked thread of the two-thread cooperative pool can stall every
/// daemon the other tests run.
struct TestDatabase {
    let name: String
    let url: String
    let adminURL: String

    private init(name: String, url: String, adminURL: String) {
        self.name = name
        self.url = url
        self.adminURL = adminURL
    }

    /// Makes a database, runs `body` with it, drops it (also when `body` throws).
    static func with<T: Sendable>(_ label: String, _ body: (TestDatabase) async throws -> T) async throws -> T {
        guard let admin = ProcessInfo.processInfo.environment["DATABASE_URL"],
            var components = URLComponents(string: admin)
        else {
            throw HarnessError(message: "DATABASE_URL is not set: run the tests with scripts/test.sh")
        }
        let name = "\(label)_\(UUID().uuidString.prefix(8).lowercased())"
        components.path = "/" + name
        guard let url = components.string else { throw HarnessError(message: "cannot build a URL for \(name)") }
        try await psql(admin, "CREATE DATABASE \(name)")
        let database = TestDatabase(name: name, url: url, adminURL: admin)
        do {
            let result = try await body(database)
            try? await psql(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            return result
        } catch {
            try? await psql(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            throw error
        }
    }

    static func psql(_ url: String, _ sql: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let (exits, sink) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { sink.yield($0.terminationStatus) }
        try process.run()
        var iterator = exits.makeAsyncIterator()
        let status = await iterator.next()
        guard status == 0 else { throw HarnessError(message: "psql failed: \(sql)") }
    }

    /// The rows of a query as psql prints them unaligned (`-qAt`), one string a row.
    static func rows(_ url: String, _ sql: String) async throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        let (exits, sink) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { sink.yield($0.terminationStatus) }
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        var iterator = exits.makeAsyncIterator()
        guard await iterator.next() == 0 else { throw HarnessError(message: "psql failed: \(sql)") }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
