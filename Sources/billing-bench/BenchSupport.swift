import Core
import Foundation
import Host
import Logging
import Metrics
import YAMLConfig

/// Helpers shared by the benchmarks: timing, memory readings, config building.
enum Bench {
    struct FixedClock: WallClock {
        func now() -> Timestamp { Timestamp(secondsSinceEpoch: 1_800_000_000) }
    }

    static func context(base: String) -> PluginContext {
        var logger = Logger(label: "billing-bench")
        logger.logLevel =
            ProcessInfo.processInfo.environment["BENCH_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .error
        return PluginContext(
            logger: logger, metrics: NOOPMetricsHandler.instance, clock: SystemClock(), baseDirectory: base,
            environment: { _ in nil })
    }

    /// Builds a configuration from YAML text (paths relative to `base`).
    static func configuration(_ yaml: String, base: String) throws -> HostConfiguration {
        let node = try YAMLDocument.parse(yaml, file: "bench.yaml")
        return try ConfigLoader(registry: .builtIn()).load(root: node, file: "bench.yaml", context: context(base: base))
    }

    /// Seconds elapsed running `body`.
    static func time<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
        let start = ContinuousClock.now
        let value = try await body()
        let elapsed = ContinuousClock.now - start
        return (value, seconds(elapsed))
    }

    static func seconds(_ duration: Duration) -> Double {
        let (s, atto) = duration.components
        return Double(s) + Double(atto) / 1e18
    }

    /// A /proc/self/status field in bytes (VmRSS, VmHWM).
    static func procStatus(_ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            let digits = line.split(separator: " ").compactMap { Int($0) }
            return (digits.first ?? 0) * 1024
        }
        return 0
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "billing-bench-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Runs a shell command and returns its wall time in seconds.
    static func timeShell(_ command: String) throws -> Double {
        let start = ContinuousClock.now
        _ = try shellOutput(command)
        return seconds(ContinuousClock.now - start)
    }

    /// Runs `command` in `sh -c` and returns its standard output; fails unless it exits 0.
    static func shellOutput(_ command: String, environment extra: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError(message: "command failed: \(command)") }
        return String(decoding: data, as: UTF8.self)
    }

    static func format(_ value: Double) -> String {
        String(format: "%.0f", value)
    }

    static func row(_ name: String, _ ours: String, _ target: String, _ baseline: String = "") {
        print(
            name.padding(toLength: 44, withPad: " ", startingAt: 0) + " "
                + ours.padding(toLength: 26, withPad: " ", startingAt: 0) + " "
                + target.padding(toLength: 18, withPad: " ", startingAt: 0) + " " + baseline)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
