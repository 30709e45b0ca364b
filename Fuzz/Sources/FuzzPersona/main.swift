import Foundation
import Persona

// libFuzzer's driver, started from Swift's own main (SwiftPM's executables need one).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// A persona file's text through the loader authors' files go through (YAML, then validation
/// with positions), and a platform policy file through its own.
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv) { data, size in
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = PersonaParser.parse(text, file: "personas/fuzz.yaml", lexicons: ["politics"])
    _ = PolicyFloor.parse(text, file: "personas/policy.yaml", lexicons: ["politics"])
    return 0
})
