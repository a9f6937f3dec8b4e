import Core
import Invoicing
import Rating
import YAMLConfig

/// 2026-11-01T00:00:00Z.
let novemberStart = Timestamp(secondsSinceEpoch: 1_793_491_200)
let november = BillingPeriod(year: 2026, month: 11)!

/// A price book with graduated tiers, a plan fee and a per-VM fee (USD, half-even).
let bookYAML = """
    plans:
      default: basic
      subjects:
        acct-pro: pro
    versions:
      - version: "2026-11-01"
        effective_from: "2026-01-01T00:00:00Z"
        currency: USD
        minor_units: 2
        rounding: half_even
        prices:
          - metric: traffic.downlink_bytes
            model: graduated
            unit: 1000000000
            unit_name: GB
            tiers:
              - { up_to: 100, unit_price: "0.08" }
              - { unit_price: "0.05" }
          - metric: traffic.uplink_bytes
            model: per_unit
            unit: 1000000000
            unit_name: GB
            unit_price: "0.0333"
        recurring:
          - { name: plan_pro, plan: pro, amount: "30.00" }
          - { name: vm, per: vm_id, amount: "10.00" }
    """

func catalog(_ text: String = bookYAML) throws -> PriceCatalog {
    try PriceCatalog.decode(YAMLDocument.parse(text, file: "book.yaml"), file: "book.yaml")
}

func customers(_ text: String) throws -> CustomerDirectory {
    try CustomerDirectory.decode(YAMLDocument.parse(text, file: "customers.yaml"), file: "customers.yaml")
}

/// One series' usage in November from `firstMinute` to `lastMinute` (minute offsets).
func usage(
    _ subject: String, _ metric: String, _ quantity: UInt128, first: Int64 = 0, last: Int64 = 10,
    dimensions: [Dimension] = [], source: String = "edge"
) -> SeriesPeriodTotal {
    SeriesPeriodTotal(
        series: SeriesKey(source: source, subject: subject, metric: metric, dimensions: dimensions),
        firstMinute: novemberStart.adding(nanoseconds: first * Timestamp.nanosecondsPerMinute),
        lastMinute: novemberStart.adding(nanoseconds: last * Timestamp.nanosecondsPerMinute), quantity: quantity)
}

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
