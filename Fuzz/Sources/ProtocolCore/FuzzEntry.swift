/// One client frame's bytes through the decoder the gateway uses: UTF-8 validation, the strict
/// JSON parser, then the typed decoding of ops. Anything but a clean answer (a message or a
/// described error) is a finding: a crash, a hang, a sanitizer report.
public func fuzzProtocolFrame(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard UTF8Validation.isValid(bytes) else { return 0 }
    guard let value = try? JSONParser.parse(bytes) else { return 0 }
    _ = try? ClientMessage.decode(value, maximumBodyScalars: 4000)
    return 0
}
