// swift-tools-version:6.0
import PackageDescription

/// Settings every target of ours shares: Swift 6 language mode (set by the
/// tools version) plus the upcoming features Hummingbird enables, so
/// dependencies and existentials are explicit.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let log = Target.Dependency.product(name: "Logging", package: "swift-log")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let propertyBased = Target.Dependency.product(name: "PropertyBased", package: "swift-property-based")
let asyncHTTPClient = Target.Dependency.product(name: "AsyncHTTPClient", package: "async-http-client")
let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let hummingbirdTLS = Target.Dependency.product(name: "HummingbirdTLS", package: "hummingbird")
let nioSSL = Target.Dependency.product(name: "NIOSSL", package: "swift-nio-ssl")

let package = Package(
    name: "billing-service",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "billing-service", targets: ["BillingServiceCLI"]),
        .executable(name: "billing-bench", targets: ["BillingBench"]),
        .executable(name: "billing-fuzz", targets: ["BillingFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
    ],
    targets: [
        // Domain types and plugin contracts. No I/O, no plugin code.
        .target(name: "Core", dependencies: [log, metrics, crypto], swiftSettings: swiftSettings),
        // Byte-level decoders/encoders of the upstream wire formats (UPSTREAMS.md),
        // shared by every adapter that reads them. Pure, no I/O.
        .target(name: "WireFormats", dependencies: ["Core"], swiftSettings: swiftSettings),
        // OpenSSL libcrypto's low-level SHA-256 (libssl-dev), and a value-type
        // wrapper: ~10x faster per call than swift-crypto on the hot paths.
        .systemLibrary(
            name: "CLibCrypto", path: "Sources/CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "Hashing", dependencies: ["CLibCrypto"], swiftSettings: swiftSettings),
        // Metering (observations -> exact facts) and pricing (facts -> money).
        .target(name: "Rating", dependencies: ["Core", "Hashing"], swiftSettings: swiftSettings),
        // Invoices (issue 14): assembly over the period engine, customers and
        // coupons, documents, the run/finalize/void lifecycle over a store
        // protocol the postgres sink adopts. Pure, no I/O of its own.
        .target(name: "Invoicing", dependencies: ["Core", "Rating", crypto, log], swiftSettings: swiftSettings),
        .target(
            name: "FileReplay", dependencies: ["Core", "WireFormats"], path: "Sources/Adapters/FileReplay",
            exclude: ["README.md", "sample.yaml", "testcases"], swiftSettings: swiftSettings),
        .target(
            name: "Generator", dependencies: ["Core", "WireFormats"], path: "Sources/Adapters/Generator",
            exclude: ["README.md", "sample.yaml", "testcases"], swiftSettings: swiftSettings),
        // Pulls the exporter's snapshot window API over HTTP(S) (issue 5).
        .target(
            name: "ExporterPull", dependencies: ["Core", "WireFormats", asyncHTTPClient, nioSSL, log],
            path: "Sources/Adapters/ExporterPull", exclude: ["README.md", "sample.yaml"],
            swiftSettings: swiftSettings),
        // Accepts xray-exporter snapshots pushed to the daemon (issue 6).
        .target(
            name: "XrayPush", dependencies: ["Core", "WireFormats"], path: "Sources/Adapters/XrayPush",
            exclude: ["README.md", "sample.yaml"], swiftSettings: swiftSettings),
        // Serves metald's and the VM platform's Connect RPC services (issue 15);
        // its Swift protobuf code is generated from proto/ and committed.
        .target(
            name: "ConnectVMMetrics",
            dependencies: [
                "Core", "WireFormats", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "CompressNIO", package: "compress-nio"), .product(name: "NIOCore", package: "swift-nio"),
                metrics,
            ],
            path: "Sources/Adapters/ConnectVMMetrics", exclude: ["README.md", "sample.yaml"],
            swiftSettings: swiftSettings),
        // Accepts the AI platform's usage records and answers its read side (issue 15).
        .target(
            name: "UsageRecords", dependencies: ["Core", "WireFormats", crypto], path: "Sources/Adapters/UsageRecords",
            exclude: ["README.md", "sample.yaml"], swiftSettings: swiftSettings),
        // Dev tool: an in-memory exporter serving the real window contract with
        // injectable faults, for `billing-service dev fake-exporter` (its command
        // lives here and is listed by the registry file) and tests.
        .target(
            name: "FakeExporter",
            dependencies: [
                "Core", "WireFormats", hummingbird, hummingbirdTLS, nioSSL, log,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/DevTools/FakeExporter", swiftSettings: swiftSettings),
        .target(
            name: "AuditLog", dependencies: ["Core", "Hashing", log], path: "Sources/Sinks/AuditLog",
            exclude: ["README.md", "sample.yaml"], swiftSettings: swiftSettings),
        // The `postgres` sink, the PostgreSQL pipeline state store, schema
        // migrations and the usage query engine (issue 4).
        .target(
            name: "PostgresSink",
            dependencies: [
                "Core", "Invoicing", "Rating", .product(name: "PostgresNIO", package: "postgres-nio"), crypto, log,
            ],
            path: "Sources/Sinks/Postgres", exclude: ["README.md", "sample.yaml"], swiftSettings: swiftSettings),
        // YAML text -> Core.ConfigNode with line numbers, so plugin configs and
        // price books are validated with path+line errors. Used by Host and by
        // the plugin tests that decode each plugin's sample.yaml.
        .target(
            name: "YAMLConfig", dependencies: ["Core", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings),
        // Config, plugin registry, pipelines, state store, CLI commands. The
        // plugin and dev tool targets of the second line are for the registry
        // list (Sources/Host/Registry/BuiltInPlugins.swift) alone: every other
        // file asks for capabilities declared in Core.
        .target(
            name: "Host",
            dependencies: [
                "Core", "WireFormats", "Rating", "YAMLConfig", "Invoicing",
                // The plugins, for Sources/Host/Registry/BuiltInPlugins.swift only: every
                // other file of Host (and all of Daemon) reaches them through Core's
                // capability protocols. A new plugin is a target, this list, one line there.
                "FileReplay", "Generator", "ExporterPull", "XrayPush", "ConnectVMMetrics", "UsageRecords", "AuditLog",
                "PostgresSink", "FakeExporter",
                log, metrics,
                .product(name: "Yams", package: "Yams"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        // The long-running daemon (`billing-service serve`, issue 6): service
        // lifecycle, scheduling, HTTP API, auth, metrics, push ingest.
        .target(
            name: "Daemon",
            dependencies: [
                // Plugins are reached through Core's capability protocols only: no adapter or sink here.
                "Core", "Rating", "Invoicing", "Host", "Hashing", log, metrics, hummingbird,
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "BillingServiceCLI", dependencies: ["Host", "Daemon"], path: "Sources/billing-service",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "BillingBench",
            dependencies: [
                "Core", "WireFormats", "Rating", "Invoicing", "FileReplay", "Generator", "AuditLog", "PostgresSink", "Host",
                "FakeExporter", "ExporterPull", "Daemon", "YAMLConfig", "ConnectVMMetrics", asyncHTTPClient,
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "PostgresNIO", package: "postgres-nio"), log,
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/billing-bench", swiftSettings: swiftSettings),
        // One fuzz entry per decoder with its invariants (issue 12), shared by the
        // libFuzzer executable and the corpus replay test; `billing-fuzz` replays
        // files in a normal build and is libFuzzer's target in scripts/fuzz.sh's build.
        .target(
            name: "FuzzTargets",
            dependencies: [
                "Core", "WireFormats", "Rating", "AuditLog", "PostgresSink", "YAMLConfig", "Host", log, metrics,
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "BillingFuzz", dependencies: ["FuzzTargets"], path: "Sources/billing-fuzz",
            swiftSettings: swiftSettings),

        // One copy of what every test target needs (clocks, a plugin context,
        // temporary directories, a throwaway database, the repository root, log
        // and metrics capture): a library only test targets depend on.
        .target(
            name: "TestKit",
            dependencies: [
                "Core", log, metrics, .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            path: "Tests/TestKit", swiftSettings: swiftSettings),
        .testTarget(name: "TestKitTests", dependencies: ["TestKit", "Core", log], swiftSettings: swiftSettings),
        .testTarget(
            name: "HashingTests", dependencies: ["Hashing", crypto, propertyBased], swiftSettings: swiftSettings),
        .testTarget(
            name: "CoreTests", dependencies: ["Core", "YAMLConfig", propertyBased], swiftSettings: swiftSettings),
        .testTarget(
            name: "WireFormatsTests", dependencies: ["TestKit", "WireFormats", propertyBased],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "RatingTests", dependencies: ["TestKit", "Rating", "YAMLConfig", propertyBased],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "FileReplayTests", dependencies: ["TestKit", "FileReplay", "YAMLConfig"], swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GeneratorTests", dependencies: ["TestKit", "Generator", "YAMLConfig"], swiftSettings: swiftSettings),
        .testTarget(
            name: "AuditLogTests", dependencies: ["TestKit", "AuditLog", "YAMLConfig"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PostgresSinkTests",
            dependencies: ["TestKit", "PostgresSink", "YAMLConfig", "Invoicing", "Rating", "AuditLog"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "InvoicingTests", dependencies: ["TestKit", "Invoicing", "Rating", "YAMLConfig", propertyBased],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ExporterPullTests",
            dependencies: [
                "TestKit", "ExporterPull", "FakeExporter", "YAMLConfig", "Rating", "FileReplay", "Generator", "Host",
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "XrayPushTests", dependencies: ["TestKit", "XrayPush", "WireFormats", "YAMLConfig"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ConnectVMMetricsTests",
            dependencies: [
                "TestKit", "ConnectVMMetrics", "YAMLConfig", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "CompressNIO", package: "compress-nio"), .product(name: "NIOCore", package: "swift-nio"),
                log, metrics,
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "UsageRecordsTests",
            dependencies: ["TestKit", "UsageRecords", "WireFormats", "YAMLConfig", log, metrics],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "TestKit",
                "Daemon", "Host", "XrayPush", "PostgresSink", "AuditLog", "YAMLConfig", "FakeExporter", "WireFormats",
                asyncHTTPClient, log, metrics,
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "FuzzTargetsTests", dependencies: ["TestKit", "FuzzTargets", "AuditLog"], swiftSettings: swiftSettings
        ),
        // Every plugin of the built-in registry against the plugin contract
        // (folder, sample, README options, open/close), and every adapter's
        // golden `testcases/`: a plugin added later is covered with no edit.
        .testTarget(
            name: "PluginConformanceTests",
            dependencies: ["TestKit", "Host", "Core", "WireFormats", "YAMLConfig", log],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "HostTests",
            dependencies: [
                "TestKit", "Host", "ExporterPull", "PostgresSink", "Core", "Rating", "YAMLConfig", "Invoicing", log,
                metrics,
            ],
            swiftSettings: swiftSettings),
    ]
)
