public import Core

/// Reads price books from parsed YAML, reporting every problem at once with its
/// YAML path and line (like plugins.yaml), so finance can fix a file in one go.
public enum PriceBookDecoder {
    /// Keys of one price book version.
    static let versionKeys = [
        "version", "effective_from", "currency", "minor_units", "rounding", "metrics", "prices", "recurring",
    ]

    /// Decodes one price book version document; throws every problem found.
    public static func decode(
        _ node: ConfigNode, file: String, knownMetrics: Set<String> = MetricCatalog.builtIn
    ) throws(ConfigError) -> PriceBook {
        let diagnostics = ConfigDiagnostics()
        let map = ConfigMap(node, path: "", diagnostics: diagnostics)
        let book = decode(map, diagnostics: diagnostics, knownMetrics: knownMetrics)
        map.finish()
        guard diagnostics.isEmpty, let book else {
            throw ConfigError(file: file, problems: diagnostics.problems)
        }
        return book
    }

    /// Decodes the version keys of `map` (the caller calls `finish()`), recording problems.
    public static func decode(
        _ map: ConfigMap, diagnostics: ConfigDiagnostics, knownMetrics: Set<String> = MetricCatalog.builtIn
    ) -> PriceBook? {
        let version = map.string("version", required: true)
        let effectiveFrom = map.timestamp("effective_from", required: true)
        if let effectiveFrom, effectiveFrom.minuteStart != effectiveFrom {
            map.problem("effective_from", "must be the start of a minute (seconds and fraction zero)")
        }
        var currency: Currency?
        if let code = map.string("currency", required: true) {
            if let iso = Currency.iso(code) {
                currency = iso
            } else {
                map.problem("currency", "unknown currency \"\(code)\" (an ISO 4217 code such as USD, EUR, JPY)")
            }
        }
        if let minor = map.integer("minor_units", in: 0...18), let iso = currency, minor != iso.minorUnits {
            map.problem("minor_units", "\(iso.code) has \(iso.minorUnits) minor units, not \(minor)")
        }
        let rounding = map.enumeration("rounding", of: RoundingMode.self) ?? .halfEven
        var metrics = knownMetrics
        for name in map.stringList("metrics") ?? [] { metrics.insert(name) }

        var rules: [PriceRule] = []
        if let items = map.list("prices", required: true) {
            for (itemPath, item) in items {
                if let rule = decodeRule(item, path: itemPath, diagnostics: diagnostics, metrics: metrics) {
                    rules.append(rule)
                }
            }
        }
        var fees: [RecurringFee] = []
        var feeNames: Set<String> = []
        for (itemPath, item) in map.list("recurring") ?? [] {
            if let fee = decodeFee(item, path: itemPath, diagnostics: diagnostics) {
                if !feeNames.insert(fee.name).inserted {
                    diagnostics.record(path: itemPath + ".name", line: item.line, "duplicate fee name \"\(fee.name)\"")
                }
                fees.append(fee)
            }
        }
        guard let version, let effectiveFrom, let currency else { return nil }
        return PriceBook(
            version: version, effectiveFrom: effectiveFrom, currency: currency, rounding: rounding, prices: rules,
            recurring: fees, line: map.line)
    }

    static func decodeRule(
        _ node: ConfigNode, path: String, diagnostics: ConfigDiagnostics, metrics: Set<String>
    ) -> PriceRule? {
        let map = ConfigMap(node, path: path, diagnostics: diagnostics)
        let metric = map.string("metric", required: true)
        if let metric, !metrics.contains(metric) {
            map.problem(
                "metric",
                "unknown metric \"\(metric)\" (known: \(metrics.sorted().joined(separator: ", ")); "
                    + "declare others in the top-level metrics list)")
        }
        let unit = map.integer("unit", as: UInt64.self, required: true)
        if unit == 0 { map.problem("unit", "must be greater than 0 (base units per billed unit)") }
        let unitName = map.string("unit_name")
        let match = map.stringMap("match") ?? [:]
        let plan = map.string("plan")
        let allowance = decimal(map, "allowance", what: "a number of billed units such as 10 or \"2.5\"") ?? .zero
        let minimum = decimal(map, "minimum", what: "a decimal amount such as \"1.00\"")
        let multipliers = decodeMultipliers(map)
        let modelKeys: [String: [String]] = [
            "per_unit": ["unit_price"], "graduated": ["tiers"], "volume": ["tiers"],
            "package": ["package_size", "package_price"],
        ]
        let modelName = map.string("model", required: true)
        var model: PriceModel?
        switch modelName {
        case "per_unit":
            if let price = decimal(map, "unit_price", required: true) { model = .perUnit(unitPrice: price) }
        case "graduated", "volume":
            if let tiers = decodeTiers(map, diagnostics: diagnostics) {
                model = modelName == "graduated" ? .graduated(tiers) : .volume(tiers)
            }
        case "package":
            let size = map.integer("package_size", as: UInt64.self, required: true)
            if size == 0 { map.problem("package_size", "must be greater than 0 (billed units per package)") }
            let price = decimal(map, "package_price", required: true)
            if let size, size > 0, let price { model = .package(size: size, price: price) }
        case nil:
            break
        case let other?:
            map.problem("model", "unknown value \"\(other)\" (valid: \(PriceModel.names.joined(separator: ", ")))")
        }
        let allModelKeys = Set(modelKeys.values.flatMap { $0 })
        if let modelName, let own = modelKeys[modelName] {
            for key in map.keys where allModelKeys.contains(key) && !own.contains(key) {
                map.problem(key, "not used by model \(modelName)")
            }
        }
        map.declare(allModelKeys.sorted())
        map.finish()
        guard let metric, let unit, unit > 0, let model else { return nil }
        return PriceRule(
            metric: metric, match: match.map { Dimension($0.key, $0.value) }, plan: plan, unit: unit,
            unitName: unitName, model: model,
            allowance: allowance, minimum: minimum, multipliers: multipliers, line: node.line)
    }

    static func decodeTiers(_ map: ConfigMap, diagnostics: ConfigDiagnostics) -> [Tier]? {
        guard let items = map.list("tiers", required: true) else { return nil }
        if items.isEmpty {
            map.problem("tiers", "needs at least one tier")
            return nil
        }
        var tiers: [Tier] = []
        var valid = true
        var previous: Money?
        for (index, (itemPath, item)) in items.enumerated() {
            let tier = ConfigMap(item, path: itemPath, diagnostics: diagnostics)
            let upTo = decimal(tier, "up_to", what: "a number of billed units such as 100")
            let price = decimal(tier, "unit_price", required: true)
            let fee = decimal(tier, "flat_fee") ?? .zero
            let isLast = index == items.count - 1
            if isLast && upTo != nil {
                tier.problem("up_to", "the last tier has no up_to (it covers everything above the previous one)")
                valid = false
            }
            if !isLast && upTo == nil && !tier.keys.contains("up_to") {
                tier.problem("only the last tier may omit up_to")
                valid = false
            }
            if let upTo {
                if upTo == .zero {
                    tier.problem("up_to", "must be greater than 0")
                    valid = false
                } else if let previous, upTo <= previous {
                    tier.problem("up_to", "tiers must be sorted and must not overlap: \(upTo) is not above \(previous)")
                    valid = false
                }
                previous = upTo
            }
            tier.finish()
            guard let price else {
                valid = false
                continue
            }
            tiers.append(Tier(upTo: isLast ? nil : upTo, unitPrice: price, flatFee: fee))
        }
        return valid ? tiers : nil
    }

    static func decodeMultipliers(_ map: ConfigMap) -> [String: [String: Money]] {
        guard let outer = map.map("multipliers") else { return [:] }
        var result: [String: [String: Money]] = [:]
        for key in outer.keys {
            guard let inner = outer.map(key) else { continue }
            var factors: [String: Money] = [:]
            for value in inner.keys {
                if let factor = decimal(inner, value, what: "a decimal factor such as \"1.5\"") {
                    factors[value] = factor
                }
            }
            inner.finish()
            result[key] = factors
        }
        outer.finish()
        return result
    }

    static func decodeFee(_ node: ConfigNode, path: String, diagnostics: ConfigDiagnostics) -> RecurringFee? {
        let map = ConfigMap(node, path: path, diagnostics: diagnostics)
        let name = map.string("name", required: true)
        let plan = map.string("plan")
        let amount = decimal(map, "amount", required: true)
        let per = map.string("per")
        if per == "" { map.problem("per", "must be subject or a dimension key such as vm_id") }
        map.finish()
        guard let name, let amount else { return nil }
        return RecurringFee(name: name, plan: plan, amount: amount, per: per == "subject" ? nil : per, line: node.line)
    }

    /// A non-negative exact decimal written as a string or plain number (`"0.05"`, `10`).
    static func decimal(
        _ map: ConfigMap, _ key: String, required: Bool = false,
        what: String = "a decimal amount such as \"0.05\""
    ) -> Money? {
        guard let text = map.string(key, required: required) else { return nil }
        guard let value = Money(decimal: text) else {
            map.problem(key, "expected \(what) (at most 18 fractional digits), found \"\(text)\"")
            return nil
        }
        guard value >= .zero else {
            map.problem(key, "must not be negative")
            return nil
        }
        return value
    }
}
