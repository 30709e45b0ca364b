public import NIOCore

/// Events of one stream with consecutive offsets that reached an event loop together (a commit
/// of many posts), with their frames copied back to back into one buffer, once per loop: a
/// subscriber that is live just before the run takes it in one write, so a burst costs each
/// connection one pass through the channel per commit instead of one per event.
public struct OutboundRun: Sendable {
    /// At least two, of one stream, with consecutive offsets.
    public let events: ArraySlice<OutboundEvent>
    /// Every event's frame, in offset order.
    public let frames: ByteBuffer

    init(_ events: ArraySlice<OutboundEvent>) {
        assert(events.count >= 2, "a run is two events or more; a lone event is delivered as it is")
        self.events = events
        var frames = ByteBufferAllocator().buffer(capacity: events.reduce(0) { $0 + $1.frame.readableBytes })
        for event in events { frames.writeImmutableBuffer(event.frame) }
        self.frames = frames
    }

    public var stream: String { events[events.startIndex].stream }
    public var firstOffset: Int64 { events[events.startIndex].offset }
    public var lastOffset: Int64 { events[events.endIndex - 1].offset }

    /// Where the run that starts at `start` ends: after the last event that continues its stream
    /// at the next offset.
    static func endOfRun(in events: [OutboundEvent], startingAt start: Int) -> Int {
        var end = start + 1
        while end < events.endIndex, events[end].offset == events[end - 1].offset + 1, events[end].stream == events[start].stream {
            end += 1
        }
        return end
    }
}
