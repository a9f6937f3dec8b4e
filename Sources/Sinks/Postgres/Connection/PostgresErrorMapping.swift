public import Core
import PostgresNIO

/// Turns whatever postgres-nio threw into a `PluginError` that says whether a retry can help.
///
/// Retryable: the connection broke or could not be made, the server is shutting
/// down or starting, a serialization failure or deadlock, resource exhaustion.
/// Permanent: bad data, constraint and syntax errors, a missing table (schema
/// behind), authentication. The message carries the SQLSTATE and the server's
/// text, never a bound value.
public enum PostgresErrorMapping {
    public static func pluginError(_ error: any Error, component: String, doing what: String) -> PluginError {
        if let plugin = error as? PluginError { return plugin }
        if let transaction = error as? PostgresTransactionError {
            let inner = transaction.beginError ?? transaction.closureError ?? transaction.commitError
            if let inner { return pluginError(inner, component: component, doing: what) }
            return PluginError(.retryable, component: component, "\(what): transaction failed")
        }
        if error is CancellationError {
            return PluginError(.retryable, component: component, "\(what): cancelled")
        }
        if let psql = error as? PSQLError {
            return classify(psql, component: component, doing: what)
        }
        // NIO channel errors (connection reset, refused, ...) are transport problems.
        return PluginError(.retryable, component: component, "\(what): \(String(describing: error))")
    }

    static func classify(_ error: PSQLError, component: String, doing what: String) -> PluginError {
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? "?????"
            let message = error.serverInfo?[.message] ?? "server error"
            let detail = error.serverInfo?[.detail].map { " (\($0))" } ?? ""
            let kind: PluginError.Kind = isRetryable(sqlState: state) ? .retryable : .permanent
            return PluginError(kind, component: component, "\(what): SQLSTATE \(state): \(message)\(detail)")
        case .sslUnsupported, .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError,
            .tooManyParameters, .invalidCommandTag:
            return PluginError(.permanent, component: component, "\(what): \(error.code)")
        default:
            let underlying = error.underlying.map { ": \(String(describing: $0))" } ?? ""
            return PluginError(.retryable, component: component, "\(what): \(error.code)\(underlying)")
        }
    }

    /// SQLSTATE classes where the same statement can succeed later.
    static func isRetryable(sqlState: String) -> Bool {
        let retryableStates: Set<String> = [
            "40001",  // serialization_failure
            "40P01",  // deadlock_detected
            "55P03",  // lock_not_available
            "57014",  // query_canceled (statement timeout)
            "57P01",  // admin_shutdown
            "57P02",  // crash_shutdown
            "57P03",  // cannot_connect_now (starting up, recovering)
            "58000",  // system_error
            "58030",  // io_error
        ]
        if retryableStates.contains(sqlState) { return true }
        // 08: connection exception; 53: insufficient resources (disk full, too many connections).
        return sqlState.hasPrefix("08") || sqlState.hasPrefix("53")
    }
}
