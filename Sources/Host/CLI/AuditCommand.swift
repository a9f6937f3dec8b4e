import ArgumentParser
import AuditLog

/// `billing-service audit ...`: tools for the audit team.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Audit log tools.", subcommands: [VerifyCommand.self])

    /// `billing-service audit verify PATH`.
    struct VerifyCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check the hash chain of an audit file or directory; names the first bad file and line.")

        @Argument(help: "An audit file or a directory of them.")
        var path: String

        func run() async throws {
            do {
                let result = try AuditVerifier.verify(path: path)
                print("ok: \(result)")
            } catch {
                throw CommandFailure.runtime("audit chain broken: \(error)")
            }
        }
    }
}
