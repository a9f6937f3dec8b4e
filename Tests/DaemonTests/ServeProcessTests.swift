import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import NIOHTTP1
import Synchronization
import TestKit
import Testing

/// `billing-service serve` as an operator runs it: a child process, signals, its log.
@Suite("serve process")
struct ServeProcessTests {
    static var executable: String { Repository.billingServiceExecutable }

    /// The child's stderr so far.
    final class LogBuffer: Sendable {
        let data = Mutex(Data())
    }

    /// A running child; its stderr collected as it comes.
    final class Child: Sendable {
        let process: Process
        let log: LogBuffer
        let exit: Task<Int32, Never>

        init(arguments: [String], environment: [String: String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ServeProcessTests.executable)
            process.arguments = arguments
            var env = ProcessInfo.processInfo.environment
            for (key, value) in environment { env[key] = value }
            process.environment = env
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            let log = LogBuffer()
            self.log = log
            err.fileHandleForReading.readabilityHandler = { handle in
                let data = handle.availableData
                log.data.withLock { $0.append(data) }
            }
            let (codes, sink) = AsyncStream.makeStream(of: Int32.self)
            process.terminationHandler = { sink.yield($0.terminationStatus) }
            try process.run()
            self.process = process
            self.exit = Task {
                var iterator = codes.makeAsyncIterator()
                return await iterator.next() ?? -1
            }
        }

        /// SIGKILLs the child if a failed expectation left it running.
        func killIfRunning() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }

        var text: String { log.data.withLock { String(decoding: $0, as: UTF8.self) } }

        /// The bound port from the `listening` log line.
        func port() async throws -> Int {
            for _ in 0..<3000 {
                for line in text.split(separator: "\n") where line.contains("listening") && line.contains("listener") {
                    if let range = line.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression),
                        let port = Int(line[range].split(separator: ":").last ?? "")
                    {
                        return port
                    }
                }
                if !process.isRunning { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            throw HarnessError(message: "serve did not log a listening line:\n\(text)")
        }
    }

    static let opsToken = "ops-7d1e9c0b5a3f"
    static let pushToken = "push-44e2b8a1c9d7"

    func setUp() throws -> String {
        let dir = try DaemonHarness.temporaryDirectory()
        try PushIngestTests.config.write(toFile: dir + "/plugins.yaml", atomically: true, encoding: .utf8)
        try (Self.pushToken + "\n").write(toFile: dir + "/pusher.token", atomically: true, encoding: .utf8)
        return dir
    }

    /// `billing-service serve --config DIR/plugins.yaml` plus `options`, with the ops token set.
    func serve(_ dir: String, _ options: [String] = [], environment: [String: String] = ["OPS_TOKEN": opsToken])
        throws -> Child
    {
        try Child(arguments: ["serve", "--config", dir + "/plugins.yaml"] + options, environment: environment)
    }

    func post(port: Int, path: String, token: String, body: String) async throws -> Int {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.body = .bytes(ByteBuffer(string: body))
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 20)
            try await client.shutdown()
            return Int(response.status.code)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    @Test("SIGTERM drains, closes and exits 0; the JSON log never holds a token")
    func sigtermAndLog() async throws {
        let dir = try setUp()
        let child = try serve(dir, ["--log-level", "debug"])
        defer { child.killIfRunning() }
        let port = try await child.port()
        #expect(
            try await post(port: port, path: "/v1/ingest/snapshots", token: Self.pushToken, body: PushIngestTests.body)
                == 200)
        #expect(try await post(port: port, path: "/v1/jobs/collect", token: Self.opsToken, body: "") == 200)
        #expect(try await post(port: port, path: "/v1/jobs/collect", token: "not-" + Self.opsToken, body: "") == 401)
        kill(child.process.processIdentifier, SIGTERM)
        let status = await child.exit.value
        let log = child.text
        #expect(status == 0, "\(log)")
        #expect(log.contains("pipeline drained and closed"))
        #expect(log.contains("stopped cleanly"))
        #expect(log.contains("push ingested"))
        #expect(!log.contains(Self.opsToken))
        #expect(!log.contains(Self.pushToken))
        for line in log.split(separator: "\n") {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["message"] is String, "not a JSON log line: \(line)")
        }
    }

    @Test("--log-format text logs for humans; SIGINT stops it too")
    func textLog() async throws {
        let dir = try setUp()
        let child = try serve(dir, ["--log-format", "text"])
        defer { child.killIfRunning() }
        _ = try await child.port()
        kill(child.process.processIdentifier, SIGINT)
        let status = await child.exit.value
        #expect(status == 0, "\(child.text)")
        #expect(child.text.contains("stopped cleanly"))
        #expect(!child.text.hasPrefix("{"))
    }

    @Test("an unset token variable exits 2 naming the variable")
    func unsetToken() async throws {
        let dir = try setUp()
        let child = try serve(dir, environment: [:])
        defer { child.killIfRunning() }
        let status = await child.exit.value
        #expect(status == 2)
        #expect(child.text.contains("OPS_TOKEN"))
    }

    /// A push whose body never finishes arriving: the drain has to wait for it.
    /// Holds the raw socket open until `close()`.
    final class StalledPush: Sendable {
        let socket: Int32

        init(port: Int, token: String) throws {
            socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard socket >= 0 else { throw HarnessError(message: "socket: errno \(errno)") }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else { throw HarnessError(message: "connect: errno \(errno)") }
            // Headers announce 4,000 bytes; only the first line's start follows.
            let head =
                "POST /v1/ingest/snapshots HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: application/x-ndjson\r\nContent-Length: 4000\r\n\r\n{\"collected_at\":"
            let sent = head.utf8CString.withUnsafeBufferPointer { Glibc.send(socket, $0.baseAddress, $0.count - 1, 0) }
            guard sent == head.utf8.count else { throw HarnessError(message: "send: errno \(errno)") }
        }

        func close() { _ = Glibc.close(socket) }
    }

    /// Waits up to `seconds` for the child to exit; nil if it is still running.
    func exitStatus(of child: Child, within seconds: Int) async -> Int32? {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if !child.process.isRunning { return await child.exit.value }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    @Test("a second signal during a drain that waits on a request exits 130 at once")
    func secondSignalForcesExit() async throws {
        let dir = try setUp()
        let child = try serve(dir)
        defer { child.killIfRunning() }
        let stalled = try StalledPush(port: try await child.port(), token: Self.pushToken)
        defer { stalled.close() }
        try await Task.sleep(for: .milliseconds(200))
        kill(child.process.processIdentifier, SIGTERM)
        // The drain waits for the unfinished request (the grace period is 30 s).
        #expect(await exitStatus(of: child, within: 2) == nil, "\(child.text)")
        kill(child.process.processIdentifier, SIGTERM)
        let status = await exitStatus(of: child, within: 10)
        #expect(status == 130, "\(child.text)")
        #expect(child.text.contains("second signal during shutdown"))
    }

    @Test("a drain that outlasts service.shutdown_grace is cut off with a non-zero exit")
    func gracePeriodBoundsTheDrain() async throws {
        let dir = try setUp()
        let config = PushIngestTests.config + "\n  shutdown_grace: 1s\n"
        try config.write(toFile: dir + "/plugins.yaml", atomically: true, encoding: .utf8)
        let child = try serve(dir)
        defer { child.killIfRunning() }
        let stalled = try StalledPush(port: try await child.port(), token: Self.pushToken)
        defer { stalled.close() }
        try await Task.sleep(for: .milliseconds(200))
        let start = ContinuousClock.now
        kill(child.process.processIdentifier, SIGTERM)
        // 1 s of grace, then at most the 5 s cancellation window of the group.
        let status = await exitStatus(of: child, within: 15)
        let elapsed = ContinuousClock.now - start
        #expect(status != nil && status != 0, "\(child.text)")
        #expect(elapsed >= .milliseconds(900), "\(elapsed)")
        #expect(elapsed < .seconds(8), "\(elapsed)")
        #expect(!child.text.contains("stopped cleanly"))
    }
}
