public import Core

/// Every version of a price book, in effective order, plus the plan assignments:
/// everything rating needs to price any fact of any period.
///
/// A fact is priced by the version whose `effectiveFrom` is the latest at or before
/// the fact's minute; facts before the first version are unpriced (rated zero, counted).
public struct PriceCatalog: Sendable {
    /// Sorted by `effectiveFrom`, no two at the same minute.
    public let versions: [PriceBook]
    public let plans: PlanAssignments

    /// Checks the invariants a decoded document already guarantees.
    public init(versions: [PriceBook], plans: PlanAssignments = .none) throws(ConfigError) {
        let sorted = versions.sorted { $0.effectiveFrom < $1.effectiveFrom }
        let diagnostics = ConfigDiagnostics()
        Self.check(sorted, paths: sorted.map { _ in "" }, diagnostics: diagnostics)
        guard diagnostics.isEmpty else { throw ConfigError(file: "price book", problems: diagnostics.problems) }
        self.versions = sorted
        self.plans = plans
    }

    private init(checked versions: [PriceBook], plans: PlanAssignments) {
        self.versions = versions
        self.plans = plans
    }

    /// One version, no plans.
    public init(book: PriceBook) {
        self.init(checked: [book], plans: .none)
    }

    /// The currency every version shares.
    public var currency: Currency { versions.last?.currency ?? Currency(code: "", minorUnits: 0) }

    /// Index of the version in force at `minute`.
    public func versionIndex(at minute: Timestamp) -> Int? {
        var found: Int?
        for (index, book) in versions.enumerated() {
            if book.effectiveFrom <= minute { found = index } else { break }
        }
        return found
    }

    /// Decodes a price book document: a single version (the `version:` keys at the
    /// top) or `versions: [ ... ]`, optionally with `plans:` (default plan and
    /// subject assignments) and a shared `metrics:` list.
    public static func decode(
        _ node: ConfigNode, file: String, knownMetrics: Set<String> = MetricCatalog.builtIn,
        plans external: PlanAssignments? = nil
    ) throws(ConfigError) -> PriceCatalog {
        let diagnostics = ConfigDiagnostics()
        let map = ConfigMap(node, path: "", diagnostics: diagnostics)
        var plans = external ?? .none
        if let plansMap = map.node("plans") {
            let decoded = PlanAssignments.decode(plansMap, path: "plans", diagnostics: diagnostics)
            if external == nil { plans = decoded }
        }
        var books: [PriceBook] = []
        var paths: [String] = []
        if map.has("versions") {
            var metrics = knownMetrics
            for name in map.stringList("metrics") ?? [] { metrics.insert(name) }
            for (path, item) in map.list("versions", required: true) ?? [] {
                let versionMap = ConfigMap(item, path: path, diagnostics: diagnostics)
                if let book = PriceBookDecoder.decode(versionMap, diagnostics: diagnostics, knownMetrics: metrics) {
                    books.append(book)
                    paths.append(path)
                }
                versionMap.finish()
            }
            if books.isEmpty && diagnostics.isEmpty { map.problem("versions", "needs at least one version") }
        } else if let book = PriceBookDecoder.decode(map, diagnostics: diagnostics, knownMetrics: knownMetrics) {
            books.append(book)
            paths.append("")
        }
        map.finish()
        let order = books.indices.sorted { books[$0].effectiveFrom < books[$1].effectiveFrom }
        let sorted = order.map { books[$0] }
        check(sorted, paths: order.map { paths[$0] }, diagnostics: diagnostics)
        guard diagnostics.isEmpty else { throw ConfigError(file: file, problems: diagnostics.problems) }
        return PriceCatalog(checked: sorted, plans: plans)
    }

    /// Versions (sorted) must not share a minute, a version name or differ in currency.
    static func check(_ sorted: [PriceBook], paths: [String], diagnostics: ConfigDiagnostics) {
        func at(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }
        var names: [String: Int] = [:]
        for (index, book) in sorted.enumerated() {
            if index > 0, sorted[index - 1].effectiveFrom == book.effectiveFrom {
                diagnostics.record(
                    path: at(paths[index], "effective_from"), line: book.line,
                    "two versions effective at the same minute \(book.effectiveFrom) "
                        + "(\"\(sorted[index - 1].version)\" and \"\(book.version)\")")
            }
            if let other = names[book.version] {
                diagnostics.record(
                    path: at(paths[index], "version"), line: book.line,
                    "duplicate version \"\(book.version)\" (also at line \(sorted[other].line))")
            }
            names[book.version] = index
            if let first = sorted.first, book.currency != first.currency {
                diagnostics.record(
                    path: at(paths[index], "currency"), line: book.line,
                    "every version must use one currency (\(first.currency.code), not \(book.currency.code))")
            }
        }
    }
}
