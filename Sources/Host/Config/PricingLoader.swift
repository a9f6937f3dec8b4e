import Core
import Rating
import YAMLConfig

/// Loads the price catalog a config names (one version or `versions:`, plans
/// inline or from a separate file), with path+line problems like plugins.yaml.
enum PricingLoader {
    static func load(path: String, plansPath: String? = nil) throws(ConfigError) -> PriceCatalog {
        let node = try YAMLDocument.load(path: path)
        var plans: PlanAssignments?
        if let plansPath {
            plans = try PlanAssignments.decode(try YAMLDocument.load(path: plansPath), file: plansPath)
        }
        return try PriceCatalog.decode(node, file: path, plans: plans)
    }
}
