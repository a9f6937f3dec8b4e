import ArgumentParser

/// `billing-service dev`: tools for demos and local development.
///
/// The tools themselves live in their own targets (a dev tool is not a
/// plugin); the registry file lists their commands, so this module names none.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev", abstract: "Development tools (fake upstreams).",
        subcommands: PluginRegistry.builtInDevCommands)
}
