public import Core
import Logging

/// An `exporter_pull` source: one xray-exporter node. Construction does no I/O;
/// each reader makes its HTTP client per collection.
public struct ExporterPullSource: ObservationSource {
    /// How a reader ends.
    public enum Mode: Sendable, Hashable {
        /// Catch up to now − settle_delay, then return `nil` (`billing-service collect`).
        case oneShot
        /// After catching up, wait `interval` (with jitter) and pull again; never ends.
        case continuous
    }

    public let id: String
    public let metering: MeteringOptions
    public let settings: ExporterPullSettings
    public let context: PluginContext
    public let mode: Mode
    /// Shared by every reader of this source (and its `oneShot()` copy).
    public let breaker: CircuitBreaker

    public init(
        id: String, metering: MeteringOptions = MeteringOptions(), settings: ExporterPullSettings,
        context: PluginContext, mode: Mode = .continuous, breaker: CircuitBreaker? = nil
    ) {
        self.id = id
        self.metering = metering
        self.settings = settings
        self.context = context
        self.mode = mode
        self.breaker =
            breaker ?? CircuitBreaker(threshold: settings.breakerFailures, cooldown: settings.breakerCooldown)
    }

    /// The same source in one-shot mode: what `collect` runs.
    public func oneShot() -> ExporterPullSource {
        ExporterPullSource(
            id: id, metering: metering, settings: settings, context: context, mode: .oneShot, breaker: breaker)
    }

    public func makeReader(from cursor: SourceCursor?) async throws -> any ObservationReader {
        let component = "sources." + id
        var position: ExporterPullCursor?
        if let cursor {
            do {
                position = try cursor.decode(as: ExporterPullCursor.self)
            } catch {
                throw PluginError(.permanent, component: component, "unreadable cursor \(cursor.json): \(error)")
            }
        }
        let token: String?
        do {
            token = try settings.token?.resolve(context: context)
        } catch {
            throw PluginError(.permanent, component: component, "bearer token: \(error)")
        }
        if settings.isInsecure {
            context.logger.warning(
                "exporter_pull uses plain http (allow_insecure_http: true): the bearer token and the usage data travel unencrypted",
                metadata: ["source": "\(id)", "base_url": "\(settings.baseURL)"])
        }
        return ExporterPullReader(source: self, token: token, cursor: position)
    }
}
