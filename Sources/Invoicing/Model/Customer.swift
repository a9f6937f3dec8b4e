public import Core

/// Who a subject is billed as: the name, address and plan an invoice shows.
///
/// Exists because usage is keyed by subject ids (UUIDs, seed names) while an
/// invoice is addressed to a customer; a subject without an entry is invoiced
/// under its subject id.
public struct Customer: Sendable, Hashable {
    public var subject: String
    public var name: String
    public var email: String?
    public var address: [String]
    public var costCenter: String?
    /// Overrides the price book's plan assignment for this subject.
    public var plan: String?
    /// The currency the customer is billed in; must be the price book's.
    public var currency: String?
    public var coupons: [Coupon]

    public init(
        subject: String, name: String, email: String? = nil, address: [String] = [], costCenter: String? = nil,
        plan: String? = nil, currency: String? = nil, coupons: [Coupon] = []
    ) {
        self.subject = subject
        self.name = name
        self.email = email
        self.address = address
        self.costCenter = costCenter
        self.plan = plan
        self.currency = currency
        self.coupons = coupons
    }
}

/// A discount granted to one customer: a percentage or a fixed amount, for a
/// number of periods from a first period, or forever.
///
/// Exists as data, not code, so finance can grant one in the customer file and
/// every rerun of a period applies it the same way.
public struct Coupon: Sendable, Hashable {
    public enum Value: Sendable, Hashable {
        /// Percent of the subtotal, `0 < p ≤ 100`.
        case percent(Money)
        /// A fixed amount in one currency.
        case fixed(Money, currency: String)
    }

    public enum Duration: Sendable, Hashable {
        case periods(Int)
        case forever
    }

    public var id: String
    public var value: Value
    public var duration: Duration
    /// The first period the coupon applies to (`nil`: every period, with `forever`).
    public var from: BillingPeriodKey?

    public init(id: String, value: Value, duration: Duration, from: BillingPeriodKey? = nil) {
        self.id = id
        self.value = value
        self.duration = duration
        self.from = from
    }

    /// Whether the coupon applies to the period `key`.
    public func applies(to key: BillingPeriodKey) -> Bool {
        switch duration {
        case .forever:
            return from.map { key >= $0 } ?? true
        case .periods(let count):
            guard let from else { return false }
            let offset = key.monthIndex - from.monthIndex
            return offset >= 0 && offset < Int64(count)
        }
    }
}

/// A calendar month as (year, month), comparable and countable.
public struct BillingPeriodKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int64
    public var month: Int64

    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int64(parts[0]),
            let month = Int64(parts[1]), (1...12).contains(month), (1...9999).contains(year)
        else { return nil }
        self.year = year
        self.month = month
    }

    public init(year: Int64, month: Int64) {
        self.year = year
        self.month = month
    }

    /// Months since year 0.
    public var monthIndex: Int64 { year * 12 + month - 1 }

    /// The month before this one.
    public var previous: BillingPeriodKey {
        month == 1 ? BillingPeriodKey(year: year - 1, month: 12) : BillingPeriodKey(year: year, month: month - 1)
    }

    public static func < (lhs: BillingPeriodKey, rhs: BillingPeriodKey) -> Bool { lhs.monthIndex < rhs.monthIndex }

    public var description: String {
        let y = String(year)
        return String(repeating: "0", count: max(0, 4 - y.count)) + y + "-" + (month < 10 ? "0\(month)" : "\(month)")
    }
}
