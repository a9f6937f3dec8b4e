import Core
import Foundation
import Host
import Logging
import Metrics
import TestKit
import Testing
import YAMLConfig

@testable import Daemon

@Suite("docs/openapi.yaml agrees with the routes")
struct OpenAPITests {
    static let file = Repository.path("docs/openapi.yaml")

    struct Documented: Hashable {
        var method: String
        var path: String
        var scope: String?
        var statuses: Set<String>
    }

    static func documented() throws -> [Documented] {
        let root = try YAMLDocument.load(path: file)
        guard case .mapping(let top) = root.value, let paths = top.first(where: { $0.key == "paths" })?.value,
            case .mapping(let pathEntries) = paths.value
        else { throw HarnessError(message: "openapi.yaml has no paths mapping") }
        var out: [Documented] = []
        for path in pathEntries {
            guard case .mapping(let operations) = path.value.value else { continue }
            for operation in operations {
                let scope = operation.value["x-scope"]?.scalar
                var statuses: Set<String> = []
                if case .mapping(let responses)? = operation.value["responses"]?.value {
                    statuses = Set(responses.map(\.key))
                }
                out.append(
                    Documented(
                        method: operation.key.uppercased(), path: path.key, scope: scope, statuses: statuses))
            }
        }
        return out
    }

    /// The routes every push source of the built-in registry declares, each
    /// made from the sources in its adapter's sample.yaml: a new push adapter's
    /// routes are checked with no edit here.
    static func pushRoutesOfEveryPlugin() throws -> [PushRoute] {
        let adapters = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/Adapters").path
        let registry = PluginRegistry.builtIn()
        let context = PluginContext(
            logger: .init(label: "test"), metrics: NOOPMetricsHandler.instance, clock: SystemClock(),
            baseDirectory: adapters, environment: { _ in nil })
        var routes: [PushRoute] = []
        for folder in try FileManager.default.contentsOfDirectory(atPath: adapters).sorted() {
            let sample = adapters + "/" + folder + "/sample.yaml"
            guard FileManager.default.fileExists(atPath: sample) else { continue }
            let diagnostics = ConfigDiagnostics()
            let sources = ConfigMap(try YAMLDocument.load(path: sample), path: "sources", diagnostics: diagnostics)
            for id in sources.keys {
                guard let entry = sources.map(id), let type = entry.string("type"),
                    let factory = registry.sourceFactory(type: type),
                    let push = factory.makeSource(id: id, config: entry, context: context) as? any PushSource
                else { continue }
                routes += push.routes
            }
        }
        #expect(!routes.isEmpty, "no push source among the adapters' samples")
        return routes
    }

    @Test("every route is documented with its method and scope, and nothing else is")
    func sameRoutes() throws {
        let documented = try Self.documented()
        let fromDocument = Set(documented.map { "\($0.method) \($0.path) \($0.scope ?? "open")" })
        let routes = APIRoute.builtIn + (try Self.pushRoutesOfEveryPlugin()).map(APIRoute.init(push:))
        let fromCode = Set(routes.map { "\($0.method) \($0.path) \($0.scope?.rawValue ?? "open")" })
        #expect(fromDocument == fromCode)
        for operation in documented where operation.scope != nil {
            #expect(operation.statuses.isSuperset(of: ["401", "403"]), "\(operation.method) \(operation.path)")
        }
    }

    @Test("the running router serves exactly the documented routes")
    func routerServesThem() async throws {
        let documented = try Self.documented()
        try await DaemonHarness.run(
            config: PushIngestTests.config, files: PushIngestTests.files, environment: PushIngestTests.environment
        ) { d in
            for operation in documented {
                let reply = try await d.request(operation.method, operation.path)
                // Unauthenticated: a scoped route answers 401, an open one 200; never 404.
                #expect(reply.status == (operation.scope == nil ? 200 : 401), "\(operation.path): \(reply.status)")
            }
            #expect(try await d.request("GET", "/v1/nothing-here").status == 404)
        }
    }
}
