public import GatewayProtocol
public import NIOCore

/// A committed event encoded once: `frame` holds the finished WebSocket frame that every
/// subscriber is written, compressing or not (PerMessageDeflate sends uncompressed).
public struct OutboundEvent: Sendable {
    public let stream: String
    public let offset: Int64
    public let frame: ByteBuffer

    public init(_ event: StoredEvent) {
        stream = event.stream
        offset = event.offset
        frame = Self.frame(event)
    }

    /// `{"op":"event","stream":…,"offset":…,"type":"…","ts":"…","data":{…}}` (PROTOCOL.md
    /// section 4) in a text frame. Every piece is measured first and then copied once into a
    /// buffer of exactly the frame's size: no intermediate array, no per-byte appends. The
    /// stream name is escaped through `JSONWriter` in the rare case that it needs it.
    static func frame(_ event: StoredEvent) -> ByteBuffer {
        var (stream, type, data) = (event.stream, event.type.rawValue, event.dataJSON)
        return stream.withUTF8 { stream in
            type.withUTF8 { type in
                data.withUTF8 { data in
                    event.timestamp.withISO8601 { timestamp in
                        JSONWriter.withDigits(of: event.offset) { offset in
                            if JSONWriter.needsNoEscaping(stream) {
                                return frame(stream: stream, quoted: false, offset: offset, type: type, timestamp: timestamp, data: data)
                            }
                            var writer = JSONWriter(capacity: stream.count + 16)
                            writer.string(String(decoding: stream, as: UTF8.self))
                            return writer.bytes.withUnsafeBufferPointer { escaped in
                                frame(stream: escaped, quoted: true, offset: offset, type: type, timestamp: timestamp, data: data)
                            }
                        }
                    }
                }
            }
        }
    }

    private static func frame(stream: UnsafeBufferPointer<UInt8>, quoted: Bool, offset: UnsafeBufferPointer<UInt8>, type: UnsafeBufferPointer<UInt8>,
                              timestamp: UnsafeBufferPointer<UInt8>, data: UnsafeBufferPointer<UInt8>) -> ByteBuffer {
        let (opening, beforeOffset, beforeType): (StaticString, StaticString, StaticString) = (#"{"op":"event","stream":"#, #","offset":"#, #","type":""#)
        let (beforeTimestamp, beforeData): (StaticString, StaticString) = (#"","ts":""#, #"","data":"#)
        let fixed = opening.utf8CodeUnitCount + beforeOffset.utf8CodeUnitCount + beforeType.utf8CodeUnitCount + beforeTimestamp.utf8CodeUnitCount
            + beforeData.utf8CodeUnitCount + (quoted ? 0 : 2) + 1
        let length = fixed + stream.count + offset.count + type.count + timestamp.count + data.count
        var buffer = ByteBufferAllocator().buffer(capacity: WebSocketFraming.headerLength(payloadLength: length) + length)
        WebSocketFraming.writeHeader(.text, payloadLength: length, to: &buffer)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { target in
            var cursor = Cursor(target: target)
            cursor.copy(opening)
            if !quoted { cursor.copy(#"""#) }
            cursor.copy(stream)
            if !quoted { cursor.copy(#"""#) }
            cursor.copy(beforeOffset)
            cursor.copy(offset)
            cursor.copy(beforeType)
            cursor.copy(type)
            cursor.copy(beforeTimestamp)
            cursor.copy(timestamp)
            cursor.copy(beforeData)
            cursor.copy(data)
            cursor.copy("}")
            return cursor.written
        }
        return buffer
    }

    /// Copies pieces one after another into memory sized for all of them.
    private struct Cursor {
        let target: UnsafeMutableRawBufferPointer
        var written = 0

        mutating func copy(_ bytes: UnsafeBufferPointer<UInt8>) {
            UnsafeMutableRawBufferPointer(rebasing: target[written..<written + bytes.count]).copyMemory(from: UnsafeRawBufferPointer(bytes))
            written += bytes.count
        }

        mutating func copy(_ text: StaticString) {
            copy(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }
    }
}
