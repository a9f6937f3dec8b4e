import Daemon
import Foundation
import Host

// Exit codes: 0 ok, 1 runtime failure, 2 bad usage or invalid configuration.
let status = await BillingServiceMain.run(
    arguments: Array(CommandLine.arguments.dropFirst()), root: BillingServiceDaemonCommand.self)
exit(status)
