import Core
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Prints one self-overwriting progress line per second to a terminal's stderr
/// (observations/s, facts, position) during long replays. Silent when stderr is
/// not a TTY, so logs and CI output stay clean.
public actor ProgressReporter {
    private let started = ContinuousClock.now
    private var lastPrinted = ContinuousClock.now
    private var printedAny = false

    /// `nil` when stderr is not a terminal.
    public static func forTerminal() -> ProgressReporter? {
        isatty(STDERR_FILENO) == 1 ? ProgressReporter() : nil
    }

    public func update(_ summary: PipelineSummary) {
        let now = ContinuousClock.now
        guard now - lastPrinted >= .seconds(1) else { return }
        lastPrinted = now
        let elapsed = max((now - started).totalNanoseconds / 1_000_000, 1)
        let rate = Int64(summary.observations) * 1000 / elapsed
        let line =
            "\r\(summary.pipeline): \(summary.observations) observations (\(rate)/s), \(summary.facts) facts, "
            + "batch \(summary.batches), at \(summary.lastPosition)\u{1B}[K"
        FileHandle.standardError.write(Data(line.utf8))
        printedAny = true
    }

    /// Ends the progress line so later output starts on a fresh line.
    public func finish() {
        if printedAny { FileHandle.standardError.write(Data("\n".utf8)) }
        printedAny = false
    }
}
