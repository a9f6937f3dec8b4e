import ArgumentParser
import Core

/// `billing-service audit ...`: tools for the audit team.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Audit log tools.", subcommands: [VerifyCommand.self])

    /// `billing-service audit verify PATH`: the chain is checked by the sink type
    /// that writes audit trails (`AuditTrailReading`), found in the registry.
    struct VerifyCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check the hash chain of an audit file or directory; names the first bad file and line.")

        @Argument(help: "An audit file or a directory of them.")
        var path: String

        func run() async throws {
            let reader: any AuditTrailReading
            do {
                reader = try PluginRegistry.builtIn().auditTrailReader()
            } catch {
                throw CommandFailure.runtime("audit verify: \(error)")
            }
            do {
                let result = try reader.verifyAuditTrail(at: path)
                print("ok: \(result)")
            } catch {
                throw CommandFailure.runtime("audit chain broken: \(error)")
            }
        }
    }
}
