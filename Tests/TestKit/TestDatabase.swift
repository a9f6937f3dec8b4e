import Foundation

/// A database of its own on the PostgreSQL server that `DATABASE_URL` names,
/// made with psql and dropped after the test, so tests never share tables.
///
/// The one rule for a missing server, used by every test target: scripts/test.sh
/// always starts one and sets `DATABASE_URL`, so its absence fails the test
/// with that hint (`serverURL()`); nothing skips silently.
///
/// psql is awaited through its termination handler, never `waitUntilExit`: a
/// blocked thread of the two-thread cooperative pool can stall every daemon
/// the other tests run.
public struct TestDatabase: Sendable {
    public let name: String
    /// The URL of this database (the server's URL with its own path).
    public let url: String
    /// The server's URL as `DATABASE_URL` gives it.
    public let adminURL: String

    /// `DATABASE_URL`, or an error saying how to run the tests with a server.
    public static func serverURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw TestKitError(
                "DATABASE_URL is not set: run the tests with scripts/test.sh, which starts a throwaway PostgreSQL")
        }
        return url
    }

    /// Makes a database named `<label>_<random>`, runs `body` with it, and
    /// drops it (also when `body` throws).
    public static func with<T: Sendable>(_ label: String, _ body: (TestDatabase) async throws -> T) async throws -> T {
        let admin = try serverURL()
        guard var components = URLComponents(string: admin) else {
            throw TestKitError("DATABASE_URL is not a URL: \(admin)")
        }
        let name = "\(label)_\(UUID().uuidString.prefix(8).lowercased())"
        components.path = "/" + name
        guard let url = components.string else { throw TestKitError("cannot build a URL for database \(name)") }
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

    /// psql's unaligned, tuples-only output of `sql` in this database (`"0\n"`).
    public func query(_ sql: String) async throws -> String {
        try await Self.output(url, sql)
    }

    /// The rows `sql` returns in this database, one string a row.
    public func rows(_ sql: String) async throws -> [String] { try await Self.rows(url, sql) }

    /// Runs `sql` against `url`, discarding its output.
    public static func psql(_ url: String, _ sql: String) async throws {
        _ = try await output(url, sql)
    }

    /// The rows of a query as psql prints them unaligned (`-qAt`), one string a row.
    public static func rows(_ url: String, _ sql: String) async throws -> [String] {
        try await output(url, sql).split(separator: "\n").map(String.init)
    }

    /// psql's whole standard output for `sql` against `url`; a failure carries its standard error.
    public static func output(_ url: String, _ sql: String) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let (exits, sink) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { sink.yield($0.terminationStatus) }
        try process.run()
        // Both pipes are read to their end (so a large output cannot block psql)
        // on threads of their own, not the cooperative pool's.
        async let errorData = Self.readToEnd(err.fileHandleForReading)
        let data = await Self.readToEnd(out.fileHandleForReading)
        let stderr = String(decoding: await errorData, as: UTF8.self)
        var iterator = exits.makeAsyncIterator()
        let status = await iterator.next()
        guard status == 0 else {
            throw TestKitError("psql failed (status \(status.map(String.init) ?? "?")) running \(sql): \(stderr)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

extension TestDatabase {
    fileprivate static func readToEnd(_ handle: FileHandle) async -> Data {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: handle.readDataToEndOfFile()) }
        }
    }
}

/// A test kit helper could not do its job; the message names what and why.
public struct TestKitError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
