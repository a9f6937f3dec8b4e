public import ArgumentParser
import Foundation

/// The `billing-service` command line.
public struct BillingServiceCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "billing-service",
        abstract: "Meters and rates usage from exporters into exact, replay-safe facts.",
        discussion: "Exit codes: 0 ok, 1 runtime failure, 2 bad usage or invalid configuration.",
        subcommands: [
            RunCommand.self, ValidateCommand.self, PluginsCommand.self, GenerateCommand.self, AuditCommand.self,
            RateCommand.self, PriceCommand.self, MigrateCommand.self, UsageCommand.self, CollectCommand.self,
            DevCommand.self,
            InvoiceCommand.self,
            ActivityCommand.self,
        ])

    public init() {}
}

/// Parses arguments, runs the command, and maps every outcome to an exit code.
public enum BillingServiceMain {
    /// `root`: the command tree to parse (the executable adds `serve` from the Daemon module).
    public static func run(
        arguments: [String], root: any ParsableCommand.Type = BillingServiceCommand.self
    ) async -> Int32 {
        do {
            var command = try root.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let failure as CommandFailure {
            printError(failure.message)
            return failure.exitCode
        } catch let error as ExitCode {
            return error.rawValue
        } catch {
            let code = root.exitCode(for: error)
            let message = root.fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                return 0
            }
            printError(message)
            return code == .validationFailure ? 2 : code.rawValue
        }
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
    }
}
