import Foundation
import FuzzTargets

/// The harness every input of this process goes through (immutable, built on first use).
let harness = FuzzHarness()

/// The target `FUZZ_TARGET` names, read once; `nil` when it is unset or unknown.
let selectedTarget: FuzzTarget? = ProcessInfo.processInfo.environment["FUZZ_TARGET"].flatMap(FuzzTarget.init)

/// libFuzzer's entry: runs the selected target on one input. A broken invariant
/// (or an unknown target) aborts, which libFuzzer records as a crash with its input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let target = selectedTarget else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("billing-fuzz: set FUZZ_TARGET to one of: \(names)\n".utf8))
        abort()
    }
    let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    do {
        try harness.run(target, bytes)
    } catch {
        FileHandle.standardError.write(Data("billing-fuzz: invariant broken: \(error)\n".utf8))
        abort()
    }
    return 0
}

/// The process's entry. SwiftPM links an executable's `main` to this module's
/// own, so libFuzzer's `main` is never used: under `-DBILLING_FUZZ` (scripts/fuzz.sh)
/// this hands argv to libFuzzer's driver; in a normal build it replays inputs.
@main
enum BillingFuzzMain {
    static func main() {
        #if BILLING_FUZZ
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzTestOneInput))
        #else
            CorpusReplay.run()
        #endif
    }
}

#if BILLING_FUZZ
    /// libFuzzer's driver (compiler-rt `FuzzerInterface.h`): parses libFuzzer's flags
    /// and runs `callback` on each input.
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32
#endif

/// Replays inputs without libFuzzer: `FUZZ_TARGET=T billing-fuzz FILE|DIR...`, or
/// `billing-fuzz fuzz/corpus/<target>...` (the folder names the target).
enum CorpusReplay {
    static func run() -> Never {
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            print("usage: FUZZ_TARGET=<target> billing-fuzz FILE|DIR..., or billing-fuzz fuzz/corpus/<target>...")
            exit(2)
        }
        var failures = 0
        var inputs = 0
        var accepted = 0
        for path in paths {
            let folder = URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent
            guard let target = selectedTarget ?? FuzzTarget(rawValue: folder) else {
                print("billing-fuzz: \(path): set FUZZ_TARGET or name a fuzz/corpus/<target> folder")
                exit(2)
            }
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else {
                    print("billing-fuzz: cannot read \(file)")
                    exit(1)
                }
                inputs += 1
                do {
                    if try harness.run(target, Array(data)) == .accepted { accepted += 1 }
                } catch {
                    failures += 1
                    print("FAIL \(file): \(error)")
                }
            }
        }
        print("billing-fuzz: \(inputs) inputs, \(accepted) accepted, \(failures) broke an invariant")
        exit(failures == 0 ? 0 : 1)
    }

    static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue
        else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.map { path + "/" + $0 }
    }
}
