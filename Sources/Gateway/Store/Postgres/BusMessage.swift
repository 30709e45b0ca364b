import GatewayProtocol

/// What travels in one NOTIFY on the cluster bus. PostgreSQL caps a payload below 8000 bytes, so
/// a commit's events are split over as many notifications as they need, and an event whose data
/// alone is large is sent by reference (its sequence number only) and read from the store.
///
/// Events: `{"first":N,"last":M,"events":[[seq,"stream",offset,"type",ts,"data"|null],…]}`, with
/// `data` the event's JSON as a string (exact bytes kept) or null for a reference.
/// Ephemeral frames: `{"node":"…","frames":[["stream","payload"],…]}`.
enum BusMessage {
    /// Largest payload we send; PostgreSQL's limit is 8000 bytes less its own header.
    static let payloadLimit = 7_600
    /// Event data above this goes by reference.
    static let inlineDataLimit = 3_000

    struct EventEntry: Sendable {
        var seq: Int64
        var stream: String
        var offset: Int64
        var type: StoredEvent.Kind
        var timestamp: Timestamp
        /// nil: sent by reference; read it from the store.
        var dataJSON: String?

        var event: StoredEvent? {
            dataJSON.map { StoredEvent(stream: stream, offset: offset, type: type, timestamp: timestamp, dataJSON: $0) }
        }
    }

    struct Events: Sendable {
        var first: Int64
        var last: Int64
        var entries: [EventEntry]
    }

    /// The payloads announcing `events`, numbered from `firstSeq`, in order.
    static func encode(events: [StoredEvent], firstSeq: Int64) -> [String] {
        var payloads: [String] = []
        var pieces: [String] = []
        var size = 0
        var chunkFirst = firstSeq
        func flush(through last: Int64) {
            guard !pieces.isEmpty else { return }
            payloads.append("{\"first\":\(chunkFirst),\"last\":\(last),\"events\":[" + pieces.joined(separator: ",") + "]}")
            pieces = []
            size = 0
            chunkFirst = last + 1
        }
        for (index, event) in events.enumerated() {
            let seq = firstSeq + Int64(index)
            let inline = event.dataJSON.utf8.count <= inlineDataLimit
            let piece = WriteRecords.json { writer in
                writer.beginArray()
                writer.int(seq)
                writer.separator()
                writer.string(event.stream)
                writer.separator()
                writer.int(event.offset)
                writer.separator()
                writer.string(event.type.rawValue)
                writer.separator()
                writer.int(event.timestamp.milliseconds)
                writer.separator()
                if inline { writer.string(event.dataJSON) } else { writer.null() }
                writer.endArray()
            }
            // A piece that does not fit even alone (a very long stream name) is sent by reference.
            let entry = piece.utf8.count + 64 > payloadLimit ? "[\(seq),\"\",0,\"\",0,null]" : piece
            if size + entry.utf8.count + 64 > payloadLimit { flush(through: seq - 1) }
            pieces.append(entry)
            size += entry.utf8.count + 1
        }
        flush(through: firstSeq + Int64(events.count) - 1)
        return payloads
    }

    static func decodeEvents(_ payload: String) -> Events? {
        guard let root = try? JSONParser.parse(payload), let first = root["first"]?.int64Value, let last = root["last"]?.int64Value,
            case .array(let items)? = root["events"]
        else { return nil }
        var entries: [EventEntry] = []
        entries.reserveCapacity(items.count)
        for item in items {
            guard case .array(let fields) = item, fields.count == 6, let seq = fields[0].int64Value else { return nil }
            if case .null = fields[5] {
                // By reference: only the sequence number counts.
                entries.append(EventEntry(seq: seq, stream: "", offset: 0, type: .postCreated, timestamp: Timestamp(milliseconds: 0), dataJSON: nil))
                continue
            }
            guard let stream = fields[1].stringValue, let offset = fields[2].int64Value,
                let type = fields[3].stringValue.flatMap(StoredEvent.Kind.init(rawValue:)), let ts = fields[4].int64Value,
                let data = fields[5].stringValue
            else { return nil }
            entries.append(EventEntry(seq: seq, stream: stream, offset: offset, type: type, timestamp: Timestamp(milliseconds: ts), dataJSON: data))
        }
        return Events(first: first, last: last, entries: entries)
    }

    /// Ephemeral frames of one node, split to fit; a frame too large for a payload is dropped
    /// (ephemeral frames may be dropped, PROTOCOL.md section 9).
    static func encode(frames: [(stream: String, payload: [UInt8])], node: String) -> [String] {
        var payloads: [String] = []
        var pieces: [String] = []
        var size = 0
        let header = "{\"node\":\"\(node)\",\"frames\":["
        for frame in frames {
            let piece = WriteRecords.json { writer in
                writer.beginArray()
                writer.string(frame.stream)
                writer.separator()
                writer.string(String(decoding: frame.payload, as: UTF8.self))
                writer.endArray()
            }
            guard header.utf8.count + piece.utf8.count + 2 <= payloadLimit else { continue }
            if header.utf8.count + size + piece.utf8.count + 2 > payloadLimit {
                payloads.append(header + pieces.joined(separator: ",") + "]}")
                pieces = []
                size = 0
            }
            pieces.append(piece)
            size += piece.utf8.count + 1
        }
        if !pieces.isEmpty { payloads.append(header + pieces.joined(separator: ",") + "]}") }
        return payloads
    }

    static func decodeFrames(_ payload: String) -> (node: String, frames: [(stream: String, payload: [UInt8])])? {
        guard let root = try? JSONParser.parse(payload), let node = root["node"]?.stringValue, case .array(let items)? = root["frames"] else {
            return nil
        }
        let frames = items.compactMap { item -> (stream: String, payload: [UInt8])? in
            guard case .array(let fields) = item, fields.count == 2, let stream = fields[0].stringValue, let text = fields[1].stringValue else {
                return nil
            }
            return (stream, Array(text.utf8))
        }
        return (node, frames)
    }
}
