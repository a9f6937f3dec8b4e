import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// `billing-service serve` as an operator runs it: a child process, signals, its log.
@Suite("serve process")
struct ServeProcessTests {
    static var executable: String {
        if let override = ProcessInfo.processInfo.environment["BILLING_SERVICE_BIN"] { return override }
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [
            bundleDir.appendingPathComponent("billing-service").path,
            bundleDir.deletingLastPathComponent().appendingPathComponent("billing-service").path,
            FileManager.default.currentDirectoryPath + "/.build/debug/billing-service",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

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
        let child = try Child(
            arguments: ["serve", "--config", dir + "/plugins.yaml", "--log-level", "debug"],
            environment: ["OPS_TOKEN": Self.opsToken])
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
        let child = try Child(
            arguments: ["serve", "--config", dir + "/plugins.yaml", "--log-format", "text"],
            environment: ["OPS_TOKEN": Self.opsToken])
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
        let child = try Child(arguments: ["serve", "--config", dir + "/plugins.yaml"], environment: [:])
        defer { child.killIfRunning() }
        let status = await child.exit.value
        #expect(status == 2)
        #expect(child.text.contains("OPS_TOKEN"))
    }
}
