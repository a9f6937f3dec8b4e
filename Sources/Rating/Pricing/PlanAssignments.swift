public import Core

/// Which plan each subject is on, with a default for everyone else: price rules and
/// recurring fees with a `plan:` apply only to subjects on that plan.
///
/// YAML (a file of its own, or a `plans:` section of a price book):
/// ```yaml
/// default: basic
/// subjects:
///   3f1c…-uuid: pro
///   customer-42: enterprise
/// ```
public struct PlanAssignments: Sendable, Hashable {
    public var defaultPlan: String?
    public var subjects: [String: String]

    public init(defaultPlan: String? = nil, subjects: [String: String] = [:]) {
        self.defaultPlan = defaultPlan
        self.subjects = subjects
    }

    public static let none = PlanAssignments()

    /// The plan of `subject`, or the default plan.
    public func plan(of subject: String) -> String? {
        subjects[subject] ?? defaultPlan
    }

    /// Decodes a plan assignment document, reporting every problem at once.
    public static func decode(_ node: ConfigNode, file: String) throws(ConfigError) -> PlanAssignments {
        let diagnostics = ConfigDiagnostics()
        let plans = decode(node, path: "", diagnostics: diagnostics)
        guard diagnostics.isEmpty else { throw ConfigError(file: file, problems: diagnostics.problems) }
        return plans
    }

    /// Decodes a plan assignment mapping at `path`.
    public static func decode(_ node: ConfigNode, path: String, diagnostics: ConfigDiagnostics) -> PlanAssignments {
        let map = ConfigMap(node, path: path, diagnostics: diagnostics)
        let defaultPlan = map.string("default")
        let subjects = map.stringMap("subjects") ?? [:]
        for (subject, plan) in subjects where plan.isEmpty {
            diagnostics.record(path: map.childPath("subjects") + "." + subject, line: map.line, "must name a plan")
        }
        map.finish()
        return PlanAssignments(defaultPlan: defaultPlan, subjects: subjects)
    }
}
