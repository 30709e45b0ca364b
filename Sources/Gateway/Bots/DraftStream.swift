import NIOCore
import Persona
import GatewayProtocol

/// The `draft` frames of one bot reply (PROTOCOL.md section 9): released text as numbered
/// deltas, then `done` with the comment id, or `done` + `retracted`. Each attempt that is
/// retracted ends its draft; the next attempt starts a new one.
actor DraftStream {
    private let hub: StreamHub
    private let ids: IDGenerator
    private let clock: GatewayClock
    private let stream: String
    private let author: User
    private let parentID: String?
    private(set) var currentID: String
    private var sequence = 0
    private var attempt = 1
    private var released = ""
    /// When the first delta went out, for the latency figures; the persona shows as typing from
    /// then, so a turn that ends in silence shows nothing at all.
    private(set) var firstDeltaAt: Timestamp?

    init(hub: StreamHub, ids: IDGenerator, clock: GatewayClock, stream: String, author: User, parentID: String?) {
        self.hub = hub
        self.ids = ids
        self.clock = clock
        self.stream = stream
        self.author = author
        self.parentID = parentID
        currentID = ids.make("d")
    }

    func step(attempt number: Int, _ step: IncrementalChecker.Step) {
        if number != attempt {
            attempt = number
            if sequence > 0 { startOver() }
        }
        switch step {
        case .release(let text) where !text.isEmpty:
            if firstDeltaAt == nil {
                firstDeltaAt = clock.now()
                hub.publishEphemeral(payload: ServerFrame.typing(stream: stream, user: author), stream: stream, excluding: nil)
            }
            sequence += 1
            released += text
            send { writer in
                writer.key("author")
                self.author.write(to: &writer)
                writer.field("parent_id", self.parentID)
                writer.field("seq", self.sequence)
                writer.field("delta", text)
            }
        case .release:
            break
        case .retract:
            retract()
        }
    }

    /// The reply is committed; the final text may differ from the deltas (a trimmed reply), so
    /// clients take the comment event's text.
    func commit(commentID: String, finalText: String) {
        send { writer in
            writer.field("done", true)
            writer.field("comment_id", commentID)
        }
    }

    /// Withdraws what was shown, if anything was.
    func retract() {
        guard sequence > 0 else { return }
        send { writer in
            writer.field("done", true)
            writer.field("retracted", true)
        }
        startOver()
    }

    private func startOver() {
        currentID = ids.make("d")
        sequence = 0
        released = ""
    }

    private func send(_ fields: (inout JSONWriter) -> Void) {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("op", "draft")
        writer.field("stream", stream)
        writer.field("draft_id", currentID)
        fields(&writer)
        writer.endObject()
        hub.publishEphemeral(payload: writer.bytes, stream: stream, excluding: nil)
    }
}
