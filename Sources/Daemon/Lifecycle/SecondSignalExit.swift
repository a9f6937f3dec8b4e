import Foundation
public import Logging
import UnixSignals

/// The first SIGTERM/SIGINT starts the service group's graceful shutdown; a
/// second one ends the process at once with exit code 130, for an operator who
/// will not wait for the drain. Runs beside the group, cancelled when it returns.
enum SecondSignalExit {
    static func watch(logger: Logger) async {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        var seen = 0
        for await signal in signals {
            seen += 1
            if seen >= 2 {
                logger.critical("second signal during shutdown: exiting now", metadata: ["signal": "\(signal)"])
                exit(130)
            }
        }
    }
}
