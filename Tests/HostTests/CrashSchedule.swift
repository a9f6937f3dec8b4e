import Foundation

/// When the crash tests kill: once this attempt has grown the audit directory
/// by a random 2-12% of what a clean run writes. Progress, not time, so every
/// kill lands mid-run however loaded the machine is; six kills cover at most
/// 72% of the work, and the run after the last kill finishes the rest.
struct CrashSchedule {
    let directory: String
    let cleanSize: Int

    init(auditDirectory: String, cleanAuditDirectory: String) {
        directory = auditDirectory
        cleanSize = Self.size(of: cleanAuditDirectory)
    }

    /// A kill condition for the next attempt.
    func nextKill() -> () -> Bool {
        let start = Self.size(of: directory)
        let growth = max(cleanSize / 100 * Int.random(in: 2...12), 1)
        return { Self.size(of: directory) >= start + growth }
    }

    static func size(of directory: String) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return 0 }
        return names.reduce(0) { total, name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)
            return total + ((attributes?[.size] as? Int) ?? 0)
        }
    }
}
