import Core
import Testing
import YAMLConfig

/// The clock window every source checks its observations against.
@Suite("observation clock window")
struct ObservationWindowTests {
    static let now = Timestamp(rfc3339: "2026-12-01T10:00:00Z") ?? Timestamp(secondsSinceEpoch: 0)
    static let window = ObservationWindow(maxFutureSkew: .seconds(300), maxAge: .seconds(72 * 3600))

    static func at(_ text: String) -> Timestamp { Timestamp(rfc3339: text) ?? Timestamp(secondsSinceEpoch: 0) }

    @Test(
        "inside and at both edges is accepted; beyond either is refused with the option named",
        arguments: [
            ("2026-12-01T10:00:00Z", nil),
            ("2026-12-01T10:05:00Z", nil),
            ("2026-12-01T10:05:00.000000001Z", "max_future_skew"),
            ("2026-11-28T10:00:00Z", nil),
            ("2026-11-28T09:59:59.999999999Z", "max_age"),
            ("2200-01-01T00:00:00Z", "max_future_skew"),
            ("1971-01-01T00:00:00Z", "max_age"),
        ] as [(String, String?)])
    func edges(time: String, option: String?) {
        let violation = Self.window.violation(of: Self.at(time), now: Self.now)
        #expect(violation?.option == option, "\(time): \(String(describing: violation))")
    }

    @Test("the extremes of the timestamp range are compared without overflow")
    func extremes() {
        let latest = Timestamp(nanosecondsSinceEpoch: .max)
        let earliest = Timestamp(nanosecondsSinceEpoch: .min)
        #expect(Self.window.violation(of: latest, now: Self.now)?.side == .future)
        #expect(Self.window.violation(of: earliest, now: Self.now)?.side == .past)
        // A clock at an end of the range saturates the bound instead of trapping.
        #expect(Self.window.violation(of: latest, now: latest) == nil)
        #expect(Self.window.violation(of: earliest, now: earliest) == nil)
        #expect(ObservationWindow.unbounded.violation(of: latest, now: earliest) == nil)
    }

    @Test("the message says how far, which way, and the limit as a config writes it")
    func message() throws {
        let violation = try #require(Self.window.violation(of: Self.at("2026-12-01T11:00:00Z"), now: Self.now))
        #expect(
            violation.description
                == "2026-12-01T11:00:00Z is 1h ahead of the clock (2026-12-01T10:00:00Z); the source's max_future_skew is 5m"
        )
        let old = try #require(Self.window.violation(of: Self.at("2026-11-01T10:00:00Z"), now: Self.now))
        #expect(old.description.contains("30d behind the clock"), "\(old)")
        #expect(old.description.hasSuffix("max_age is 3d"), "\(old)")
    }

    func read(_ yaml: String, defaults: ObservationWindow = window) throws -> (ObservationWindow, [String]) {
        let node = try YAMLDocument.parse(yaml, file: "test.yaml")
        let diagnostics = ConfigDiagnostics()
        let map = ConfigMap(node, path: "sources.x", diagnostics: diagnostics)
        let window = ObservationWindow.read(from: map, defaults: defaults)
        return (window, diagnostics.problems.map(\.description))
    }

    @Test("config: absent keeps the default, a duration or none overrides, anything else is a problem with its line")
    func config() throws {
        #expect(try read("{}\n").0 == Self.window)
        let (set, none) = (try read("max_future_skew: 1m\nmax_age: none\n"), try read("max_age: 10d\n"))
        #expect(set.0 == ObservationWindow(maxFutureSkew: .seconds(60), maxAge: nil))
        #expect(none.0 == ObservationWindow(maxFutureSkew: .seconds(300), maxAge: .seconds(864_000)))
        let (_, problems) = try read("max_future_skew: soon\nmax_age: 0s\n")
        #expect(problems.count == 2)
        #expect(problems.first?.hasPrefix("sources.x.max_future_skew (line 1): expected a positive duration") == true)
        #expect(problems.last?.hasPrefix("sources.x.max_age (line 2)") == true)
    }
}
