import Foundation
import TestKit

/// The Python Connect client of Tests/ConnectPeer/connect_peer.py, run from the test venv.
struct ConnectPeer: @unchecked Sendable {
    let process: Process
    let output: FileHandle
    private let buffer = LineBuffer()

    /// The test venv (scripts/python-env.sh makes it; scripts/test.sh exports it).
    static var venv: String {
        ProcessInfo.processInfo.environment["BILLING_TEST_VENV"] ?? Repository.path(".venv-test")
    }

    static var python: String { venv + "/bin/python" }

    /// Why the peer cannot run: no venv with the stubs.
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    static func start(_ arguments: String...) throws -> ConnectPeer {
        try start(arguments)
    }

    static func start(_ arguments: [String]) throws -> ConnectPeer {
        guard FileManager.default.isExecutableFile(atPath: python),
            FileManager.default.fileExists(atPath: venv + "/stubs/billing")
        else {
            throw Missing(
                description:
                    "no Python Connect client at \(venv) (python and stubs/billing): run scripts/python-env.sh, or the tests with scripts/test.sh"
            )
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Repository.path("Tests/ConnectPeer/connect_peer.py")] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = venv + "/stubs"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        return ConnectPeer(process: process, output: pipe.fileHandleForReading)
    }

    /// Runs a command to its end; its JSON lines.
    static func run(_ arguments: String...) async throws -> [[String: Any]] {
        let peer = try start(arguments)
        var lines: [[String: Any]] = []
        while let line = await peer.readLine() { lines.append(line) }
        _ = await peer.wait()
        return lines
    }

    /// The next JSON line; nil at the end. The blocking read runs on a
    /// Dispatch thread, never on the cooperative pool the in-process daemon
    /// needs (two cores: two blocked threads would stall it).
    func readLine() async -> [String: Any]? {
        let line = await withCheckedContinuation { (continuation: CheckedContinuation<Data?, Never>) in
            DispatchQueue.global().async {
                while true {
                    if let line = buffer.next() { return continuation.resume(returning: line) }
                    let chunk = output.availableData
                    if chunk.isEmpty { return continuation.resume(returning: nil) }
                    buffer.append(chunk)
                }
            }
        }
        guard let line else { return nil }
        return (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] ?? [
            "raw": String(decoding: line, as: UTF8.self)
        ]
    }

    /// The exit status, waited for on a Dispatch thread.
    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }
        }
    }
}

/// Bytes read so far, split at newlines; used from one reader at a time.
final class LineBuffer: @unchecked Sendable {
    private var data = Data()

    func append(_ chunk: Data) { data.append(chunk) }

    func next() -> Data? {
        guard let newline = data.firstIndex(of: 0x0A) else { return nil }
        let line = data[data.startIndex..<newline]
        data = Data(data[(newline + 1)...])
        return Data(line)
    }
}
