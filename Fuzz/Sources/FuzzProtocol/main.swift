import Foundation
import GatewayProtocol

// libFuzzer's driver, started from Swift's own main (SwiftPM's executables need one).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// One client frame's bytes through the decoders the gateway uses: UTF-8 validation, the strict
/// JSON parser (the message form the WebSocket session reads, and the value form), then the
/// typed decoding of ops. Anything but a clean answer (a message or a described error) is a
/// finding: a crash, a hang, a sanitizer report.
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv) { data, size in
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard UTF8Validation.isValid(bytes) else { return 0 }
    if let document = try? JSONParser.parseMessage(bytes) {
        _ = try? ClientMessage.decode(document, maximumBodyScalars: 4000)
    }
    if let value = try? JSONParser.parse(bytes) {
        _ = try? ClientMessage.decode(value, maximumBodyScalars: 4000)
    }
    return 0
})
