/// A command ended in a way its exit code must tell: 1 runtime failure, 2 bad usage or config.
public struct CommandFailure: Error, CustomStringConvertible {
    public var message: String
    public var exitCode: Int32

    public static func runtime(_ message: String) -> CommandFailure { CommandFailure(message: message, exitCode: 1) }
    public static func usage(_ message: String) -> CommandFailure { CommandFailure(message: message, exitCode: 2) }

    public var description: String { message }
}
