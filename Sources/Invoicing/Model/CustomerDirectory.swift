public import Core
import Rating

/// The customers file (`invoicing.customers`): subject → customer, with coupons.
///
/// Exists so finance edits one YAML file, validated completely with the path and
/// line of every problem (unknown keys included) before any invoice uses it.
///
/// ```yaml
/// customers:
///   acct-1:
///     name: Acme GmbH
///     email: billing@acme.example
///     address: [Hauptstr. 1, 10115 Berlin]
///     cost_center: CC-42
///     plan: pro
///     currency: EUR
///     coupons:
///       - { id: WELCOME10, percent: "10", periods: 3, from: 2026-11 }
///       - { id: GOODWILL, amount: "5.00", currency: EUR, periods: forever }
/// ```
public struct CustomerDirectory: Sendable, Hashable {
    public var customers: [String: Customer]

    public init(customers: [String: Customer] = [:]) {
        self.customers = customers
    }

    public static let empty = CustomerDirectory()

    public func customer(of subject: String) -> Customer? { customers[subject] }

    /// Decodes a customers document, reporting every problem at once.
    public static func decode(_ node: ConfigNode, file: String) throws(ConfigError) -> CustomerDirectory {
        let diagnostics = ConfigDiagnostics()
        let top = ConfigMap(node, path: "", diagnostics: diagnostics)
        var customers: [String: Customer] = [:]
        if let map = top.map("customers", required: true) {
            for subject in map.keys {
                guard let entry = map.map(subject) else { continue }
                if let customer = decodeCustomer(subject: subject, entry) { customers[subject] = customer }
            }
        }
        top.finish()
        guard diagnostics.isEmpty else { throw ConfigError(file: file, problems: diagnostics.problems) }
        return CustomerDirectory(customers: customers)
    }

    static func decodeCustomer(subject: String, _ map: ConfigMap) -> Customer? {
        let name = map.string("name", required: true)
        let email = map.string("email")
        let address = map.stringList("address") ?? []
        let costCenter = map.string("cost_center")
        let plan = map.string("plan")
        let currency = map.string("currency")
        if let currency, Currency.iso(currency) == nil {
            map.problem("currency", "unknown ISO 4217 currency \"\(currency)\"")
        }
        var coupons: [Coupon] = []
        for (path, node) in map.list("coupons") ?? [] {
            let couponMap = ConfigMap(node, path: path, diagnostics: map.diagnostics)
            if let coupon = decodeCoupon(couponMap, customerCurrency: currency) { coupons.append(coupon) }
            couponMap.finish()
        }
        var ids: Set<String> = []
        for coupon in coupons where !ids.insert(coupon.id).inserted {
            map.problem("coupons", "coupon id \"\(coupon.id)\" appears twice")
        }
        map.finish()
        guard let name else { return nil }
        return Customer(
            subject: subject, name: name, email: email, address: address, costCenter: costCenter, plan: plan,
            currency: currency, coupons: coupons)
    }

    static func decodeCoupon(_ map: ConfigMap, customerCurrency: String?) -> Coupon? {
        let id = map.string("id", required: true)
        let percentText = map.string("percent")
        let amountText = map.string("amount")
        let currency = map.string("currency")
        let periodsText = map.string("periods", required: true)
        let fromText = map.string("from")
        var value: Coupon.Value?
        switch (percentText, amountText) {
        case (let p?, nil):
            if let percent = Money(decimal: p), percent > .zero, percent <= Money(units: 100) {
                value = .percent(percent)
            } else {
                map.problem("percent", "must be a decimal in (0, 100], not \"\(p)\"")
            }
            if currency != nil { map.problem("currency", "only a fixed amount coupon has a currency") }
        case (nil, let a?):
            guard let amount = Money(decimal: a), amount > .zero else {
                map.problem("amount", "must be a positive decimal amount, not \"\(a)\"")
                break
            }
            guard let code = currency else {
                map.problem("currency", "a fixed amount coupon needs its currency")
                break
            }
            if Currency.iso(code) == nil {
                map.problem("currency", "unknown ISO 4217 currency \"\(code)\"")
            } else if let customerCurrency, customerCurrency != code {
                map.problem(
                    "currency", "coupon is in \(code) but the customer is billed in \(customerCurrency)")
            } else {
                value = .fixed(amount, currency: code)
            }
        case (.some, .some):
            map.problem("percent", "give either percent or amount, not both")
        case (nil, nil):
            map.problem("give percent or amount")
        }
        var duration: Coupon.Duration?
        if let periodsText {
            if periodsText == "forever" {
                duration = .forever
            } else if let count = Int(periodsText), count > 0 {
                duration = .periods(count)
            } else {
                map.problem("periods", "must be a positive number of periods or \"forever\", not \"\(periodsText)\"")
            }
        }
        var from: BillingPeriodKey?
        if let fromText {
            from = BillingPeriodKey(fromText)
            if from == nil { map.problem("from", "must be a month such as 2026-11, not \"\(fromText)\"") }
        } else if case .periods = duration {
            map.problem("from", "a coupon for a number of periods needs its first period (from: 2026-11)")
        }
        guard let id, let value, let duration else { return nil }
        if fromText != nil, from == nil { return nil }
        return Coupon(id: id, value: value, duration: duration, from: from)
    }
}
