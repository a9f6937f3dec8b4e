public import Core
internal import Host
internal import Logging
internal import Metrics

/// What the fuzz entries share across inputs: the built-in plugin registry and
/// a plugin context that does no I/O (no logs, no metrics, a fixed clock, an
/// empty environment, a base directory that does not exist).
///
/// Exists so one input costs only its decoding: the harness is built once per
/// process and handed to every call, never kept in a global variable.
public struct FuzzHarness: Sendable {
    let registry: PluginRegistry
    let context: PluginContext

    public init() {
        registry = .builtIn()
        context = PluginContext(
            logger: Logger(label: "billing-fuzz", factory: { _ in SwiftLogNoOpLogHandler() }),
            metrics: NOOPMetricsHandler.instance, clock: FixedClock(),
            baseDirectory: "/nonexistent/billing-fuzz", environment: { _ in nil })
    }

    /// Runs `target` on `bytes`: whether the decoder took the input; throws only
    /// when an invariant is broken (a refusal is the usual outcome of a fuzz input).
    @discardableResult
    public func run(_ target: FuzzTarget, _ bytes: UnsafeRawBufferPointer) throws(FuzzInvariantViolation)
        -> FuzzOutcome
    {
        switch target {
        case .xrayBody: return try WireFormatTargets.xrayBody(bytes)
        case .windowPage: return try WireFormatTargets.windowPage(bytes)
        case .observations: return try WireFormatTargets.observations(bytes)
        case .vmMetrics: return try WireFormatTargets.vmMetrics(bytes)
        case .fixtureLines: return try WireFormatTargets.fixtureLines(bytes)
        case .rfc3339: return try TextTargets.rfc3339(bytes)
        case .databaseURL: return try TextTargets.databaseURL(bytes)
        case .config: return try YAMLTargets.config(bytes, registry: registry, context: context)
        case .priceBook: return try YAMLTargets.priceBook(bytes)
        case .auditLine: return try AuditLineTarget.run(bytes)
        }
    }

    /// `run` over a byte array (the replay paths).
    @discardableResult
    public func run(_ target: FuzzTarget, _ bytes: [UInt8]) throws(FuzzInvariantViolation) -> FuzzOutcome {
        let result: Result<FuzzOutcome, FuzzInvariantViolation> = bytes.withUnsafeBytes { buffer in
            do throws(FuzzInvariantViolation) { return .success(try run(target, buffer)) } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// 2026-12-01T00:00:00Z, always: a config decoded under fuzzing must not depend on the time.
struct FixedClock: WallClock {
    func now() -> Timestamp { Timestamp(secondsSinceEpoch: 1_796_083_200) }
}
