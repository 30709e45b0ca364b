import CoreMetrics
import Foundation
import Logging
import NIOCore
import NIOWebSocket
import Persona
import GatewayProtocol

/// One client connection on `/v1/ws`, as a channel handler on its event loop: the session
/// lifecycle of PROTOCOL.md section 2, subscriptions with gap-free recovery (section 5), writes
/// (section 6) and the outbound overflow rule (section 10). It reads frames from the bytes with a
/// `WebSocketFrameParser` and messages from the frames with a `WebSocketMessageReader` (RFC 6455's
/// rules); closes come from the `SessionClose` catalogue.
///
/// Everything here runs on the channel's event loop; store calls run in tasks whose answers come
/// back to the loop through `NIOLoopBound`. Nothing blocks the loop.
final class WebSocketSession: ChannelInboundHandler, RemovableChannelHandler, StreamSubscriber, DeadlineWheelMember {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let runtime: GatewayRuntime
    private let key: Int
    /// The `s_…` id of `ready`, the logs and the admin API.
    private let sessionID: String
    private var configuration: GatewayConfiguration { runtime.configuration }
    private var context: ChannelHandlerContext?
    private var lifecycle: SessionLifecycle
    private var phase: SessionLifecycle.Phase { lifecycle.phase }
    /// The loop's wheel, which holds this session's next deadline.
    private var deadlines: DeadlineWheel?
    var wheelSlot: DeadlineWheel.Slot?
    private var subscriptions: SessionSubscriptions
    private var frames: WebSocketFrameParser
    private var reader: WebSocketMessageReader
    /// Events written since the last flush, for the delivered counter.
    private var deliveredSinceFlush = 0
    /// The hub will call `flushDeliveries` at the end of the commit being delivered.
    private var awaitingDeliveryFlush = false
    /// No less than the bytes the channel holds for the socket: NIO's count when last read, plus
    /// every frame written since (the socket only takes bytes away). Reading NIO's count (a
    /// channel option) cost more than the write of an event, so it is read only when this bound
    /// says the outbound queue might be full.
    private var unwrittenAtMost = 0
    /// Writes sent to the store and not yet answered: a drain waits for their acks.
    private var writesInFlight = 0
    /// A drain asked to close once the writes in flight are answered.
    private var closeAfterWrites: SessionClose?
    /// A bot account's latest write sent to its persona's gate: answered once it is queued,
    /// refused or replayed, and the bot's next write waits for that.
    private var lastBotWrite: OneShot<Void>?

    init(runtime: GatewayRuntime, compressionNegotiated: Bool, maxFrameSize: Int) {
        self.runtime = runtime
        self.frames = WebSocketFrameParser(maxFrameSize: maxFrameSize)
        self.key = runtime.sessions.makeKey()
        self.sessionID = runtime.ids.make("s")
        self.reader = WebSocketMessageReader(
            maxMessageBytes: runtime.configuration.maxMessageBytes, compressionNegotiated: compressionNegotiated, acceptsBinary: false)
        self.lifecycle = SessionLifecycle(limits: runtime.sessionLimits, connectedAt: .now())
        self.subscriptions = SessionSubscriptions(maximum: runtime.configuration.maxSubscriptionsPerConnection)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.deadlines = runtime.deadlineWheels.wheel(for: context.eventLoop)
        runtime.sessions.add(self, key: key, loop: context.eventLoop, info: SessionRegistry.Info(
            id: sessionID, lifecycle: lifecycle, connectedAt: Timestamp.now(), remoteAddress: context.channel.remoteAddress?.ipAddress))
        runtime.metrics.connectionsOpened.increment()
        if runtime.isDraining {
            close(.draining)
            return
        }
        send(ServerFrame.hello(
            heartbeatMilliseconds: Int(configuration.heartbeat.milliseconds), maxMessageBytes: configuration.maxMessageBytes,
            server: configuration.serverName))
        flush()
        scheduleDeadlineCheck()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        tearDown()
    }

    func channelInactive(context: ChannelHandlerContext) {
        tearDown()
        context.fireChannelInactive()
    }

    private var tornDown = false

    /// The session and user a log line is about (the user as of `phase`), built only when a line
    /// is written, so that a session holds no logger (and no metadata) of its own.
    private func logMetadata(_ phase: SessionLifecycle.Phase) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["session": "\(sessionID)"]
        if case .ready(let user?, _) = phase { metadata["user"] = "\(user.id)" }
        return metadata
    }

    private func tearDown() {
        guard !tornDown else { return }
        tornDown = true
        deadlines?.remove(self)
        unsubscribeAll()
        runtime.sessions.remove(key: key)
        runtime.metrics.connectionsClosed.increment()
        // NIO removes the handler a loop turn after the channel went inactive. An answer that
        // lands in between (an identify, a store read) finds no context and does nothing: a
        // `sub` replayed from behind identify must not put this dead session back in the hub.
        context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        runtime.logger.debug("Connection error: \(error)", metadata: logMetadata(phase))
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        frames.append(unwrapInboundIn(data))
        do {
            // A frame may end the session (a write that failed closes the channel at once): the
            // frames after it in the same read are not acted on.
            while !tornDown, let frame = try frames.next() { received(frame, context: context) }
        } catch {
            // The close is already under way if an earlier frame asked for it.
            if case .closing = phase { return }
            close(WebSocketMessageReader.violation(for: error, maxMessageBytes: configuration.maxMessageBytes))
        }
    }

    private func received(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        lifecycle.frameArrived(at: .now())
        if case .closing = phase {
            // After our close frame only the peer's close matters (RFC 6455 section 7.1.1).
            if frame.opcode == .connectionClose { context.close(promise: nil) }
            return
        }
        switch reader.read(frame) {
        case .message(let message, _):
            receivedMessage(message)
        case .ping(let payload):
            writeRaw(WebSocketFraming.frame(.pong, payload: payload), persistent: true)
            flush()
        case .close(let echo):
            receivedClose(echo: echo)
        case .violation(let why):
            close(why)
        case .nothing:
            break
        }
    }

    private func receivedClose(echo: UInt16) {
        _ = lifecycle.beginClosing()
        runtime.sessions.update(key: key, lifecycle)
        unsubscribeAll()
        context?.answerClose(echo: echo, grace: configuration.closeGracePeriod)
    }

    private func leaveHub(_ stream: String) {
        guard let loop = context?.eventLoop else { return }
        runtime.hub.remove(stream, key: key, loop: loop)
    }

    private func unsubscribeAll() {
        for stream in subscriptions.removeAll() { leaveHub(stream) }
    }

    // MARK: Messages

    private func receivedMessage(_ message: ByteBuffer) {
        runtime.metrics.messagesReceived.increment()
        let parsed = message.withUnsafeReadableBytes { bytes in
            Result { () throws(JSONParser.Failure) in try JSONParser.parseMessage(bytes) }
        }
        switch lifecycle.messageArrived(at: .now()) {
        case .accept:
            break
        case .refuse(let wait):
            // Not processed; answered when it has an `id` (PROTOCOL.md section 10).
            runtime.metrics.inboundRefused.increment()
            if let id = (try? parsed.get())?.members?.requestID {
                let milliseconds = GCRA.Decision.deny(retryAfterNanoseconds: wait).retryAfterMilliseconds
                reply(id: id, GatewayError(.rateLimited, "This connection sends too many messages; slow down.", retryAfterMilliseconds: milliseconds))
            }
            return
        case .close(let why):
            runtime.metrics.inboundRefused.increment()
            return close(why)
        }
        let decoded: Result<ClientMessage, ClientMessage.FrameError>
        switch parsed {
        case .success(let value):
            decoded = Result { () throws(ClientMessage.FrameError) in
                try ClientMessage.decode(value, maximumBodyScalars: configuration.maxBodyScalars)
            }
        case .failure(let failure):
            decoded = .failure(.notAnObjectWithOp("The frame is not valid JSON (\(failure))."))
        }
        switch decoded {
        case .success(let message):
            handle(message)
        case .failure(.notAnObjectWithOp(let reason)):
            close(.notJSONObject(reason))
        case .failure(.invalidRequest(let op, let id, let error)):
            perform(lifecycle.refused(op: op, id: id, error))
        }
    }

    private func handle(_ message: ClientMessage) {
        perform(lifecycle.received(message))
    }

    /// Does what the lifecycle answered.
    private func perform(_ step: SessionLifecycle.Step) {
        switch step {
        case .pong(let id, let t):
            send(ServerFrame.pong(id: id, t: t))
            flush()
        case .verify(let token):
            identify(token: token)
        case .readyAnonymous:
            becomeReady(user: nil, expires: nil)
        case .handle(let message, let user, let readOnly):
            handleReady(message, user: user, readOnly: readOnly)
        case .reply(let id, let error):
            reply(id: id, error)
        case .close(let why):
            close(why)
        case .nothing:
            break
        }
    }

    private func handleReady(_ message: ClientMessage, user: User?, readOnly: Bool) {
        switch message {
        case .subscribe(let id, let stream, let since):
            subscribe(id: id, name: stream, since: since, user: user)
        case .unsubscribe(let id, let stream):
            unsubscribe(id: id, name: stream)
        case .write(let id, let command):
            guard let user, !readOnly else {
                return reply(id: id, GatewayError(.unauthorized, "Anonymous sessions are read-only; identify with a token to write."))
            }
            write(command, id: id, user: user)
        case .typing(let id, let stream):
            guard let user, !readOnly else {
                return reply(id: id, GatewayError(.unauthorized, "Anonymous sessions are read-only; identify with a token to write."))
            }
            guard case .thread? = StreamName(stream) else {
                return reply(id: id, .badRequest("typing needs a thread stream, \"thread:<post_id>\"."))
            }
            if runtime.hub.admitTyping(userID: user.id, stream: stream, now: Int64(NIODeadline.now().uptimeNanoseconds)) {
                runtime.hub.publishEphemeral(payload: ServerFrame.typing(stream: stream, user: user), stream: stream, excluding: key)
            }
        case .unknown(let id, let op):
            reply(id: id, GatewayError(.unknownOp, "This server does not know the op \"\(op)\"."))
        case .identify, .ping:
            break
        }
    }

    // MARK: Identify

    private func identify(token: String) {
        guard let context else { return }
        let tokens = runtime.tokens
        let session = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        Task {
            let outcome: Result<(user: User, expires: Date), TokenRejection>
            do throws(TokenRejection) {
                outcome = .success(try await tokens.verify(token))
            } catch {
                outcome = .failure(error)
            }
            loop.execute {
                let session = session.value
                guard case .identifying = session.phase else { return }
                switch outcome {
                case .success(let identity):
                    session.becomeReady(user: identity.user, expires: identity.expires)
                case .failure(let rejection):
                    session.close(.authenticationFailed(rejection.description))
                }
            }
        }
    }

    private func becomeReady(user: User?, expires: Date?) {
        guard !tornDown else { return }
        let now = configuration.clock.date()
        let expiry = expires.map { NIODeadline.now() + .milliseconds(Int64(max(0, $0.timeIntervalSince(now)) * 1000)) }
        guard let held = lifecycle.becomeReady(user: user, tokenExpiry: expiry) else { return }
        if let user { runtime.store.remember(user) }
        if expiry != nil { scheduleDeadlineCheck() }
        runtime.sessions.update(key: key, lifecycle)
        send(ServerFrame.ready(sessionID: sessionID, user: user, readOnly: user == nil))
        flush()
        for message in held { handle(message) }
    }

    // MARK: Deadlines

    /// One place on the loop's wheel, at the earliest of the session's deadlines: identify,
    /// heartbeat, token expiry. Activity does not move it; it moves itself when it comes early.
    private func scheduleDeadlineCheck() {
        guard context != nil, !tornDown else { return }
        deadlines?.schedule(self, at: lifecycle.nextDeadline())
    }

    func deadlinePassed() {
        checkDeadlines()
    }

    private func checkDeadlines() {
        if lifecycle.isClosing { return }
        if let why = lifecycle.expired(at: .now()) { return close(why) }
        scheduleDeadlineCheck()
    }

    // MARK: Subscriptions

    private func subscribe(id: JSONValue?, name: String, since: (offset: Int64, epoch: String)?, user: User?) {
        guard let context else { return }
        let stream: StreamName, generation: Int
        switch subscriptions.begin(name, user: user) {
        case .failure(let error): return reply(id: id, error)
        case .success(let begun): (stream, generation) = begun
        }
        // Registered before the store is read, so nothing committed from now on can be missed;
        // what both the read and the live path carry is dropped by offset.
        runtime.hub.add(name, key: key, loop: context.eventLoop, subscriber: self)
        let store = runtime.store
        if let start = store.subscriptionStartFromMemory(stream, since: since) {
            return finishSubscribe(id: id, name: name, generation: generation, since: since, start: .success(start))
        }
        let session = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        Task {
            let start: Result<SubscriptionStart, GatewayError>
            do throws(GatewayError) {
                start = .success(try await store.startSubscription(stream, since: since))
            } catch {
                start = .failure(error)
            }
            loop.execute {
                session.value.finishSubscribe(id: id, name: name, generation: generation, since: since, start: start)
            }
        }
    }

    private func finishSubscribe(id: JSONValue?, name: String, generation: Int, since: (offset: Int64, epoch: String)?,
                                 start: Result<SubscriptionStart, GatewayError>) {
        func sendSubscribed() {
            guard case .success(let start) = start else { return }
            send(ServerFrame.subscribed(
                id: id, stream: name, offset: start.position.offset, epoch: start.position.epoch, recovered: start.recovered))
        }
        switch subscriptions.started(name, generation: generation, since: since, start) {
        case .ignore:
            return
        case .refuse(let error):
            leaveHub(name)
            reply(id: id, error)
        case .live(let events):
            sendSubscribed()
            for event in events { guard writeEvent(event) else { return } }
            flush()
        case .catchUp:
            sendSubscribed()
            continueCatchUp(name)
        case .closeAfter(let events, let why):
            sendSubscribed()
            for event in events { guard writeEvent(event) else { return } }
            close(why)
        }
    }

    /// Writes the replay's events while the outbound queue has room, then waits for the socket
    /// to take them (a marker write completes when everything before it is written) or for the
    /// store's next page; live once it reaches the latest offset it knows of.
    private func continueCatchUp(_ name: String) {
        guard let context else { return }
        let roomForReplay = configuration.outboundQueueBytes / 2
        replay: while true {
            switch subscriptions.nextReplay(name) {
            case .pageDone:
                break replay
            case .gap:
                return close(.historyPruned)
            case .write(let event):
                let frame = OutboundEvent(event)
                let queued = context.unwrittenBytes
                unwrittenAtMost = queued
                // An event larger than the room still goes out once the queue is empty.
                guard queued == 0 || queued + frame.frame.readableBytes <= roomForReplay else { break replay }
                guard writeEvent(frame) else { return }
                subscriptions.replayed(name)
            }
        }
        let session = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        switch subscriptions.pauseCatchUp(name) {
        case .nothing:
            return
        case .live:
            flush()
        case .awaitDrain(let generation, let waits):
            let drained = loop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(ByteBuffer()), promise: drained)
            flush()
            // Deferred: the marker may complete inside the flush above, and the replay must not
            // recurse into itself.
            drained.futureResult.whenSuccess { loop.execute { session.value.resumeCatchUp(name, generation: generation, page: nil) } }
            watchCatchUp(name, generation: generation, waits: waits, queued: context.unwrittenBytes)
        case .readPage(let generation, let after):
            flush()
            let store = runtime.store
            Task {
                let page: Result<[StoredEvent], GatewayError>
                do throws(GatewayError) {
                    page = .success(try await store.events(in: name, after: after, limit: replayPageSize))
                } catch {
                    page = .failure(error)
                }
                loop.execute { session.value.resumeCatchUp(name, generation: generation, page: page) }
            }
        }
    }

    private func resumeCatchUp(_ name: String, generation: Int, page: Result<[StoredEvent], GatewayError>?) {
        switch subscriptions.resumed(name, generation: generation, page: page) {
        case .continueCatchUp: continueCatchUp(name)
        case .stale: break
        case .close(let why): close(why)
        }
    }

    /// A client that stops reading during a replay is closed with 4010, as it would be live; one
    /// that reads slowly is not: the check re-arms as long as the socket took anything.
    private func watchCatchUp(_ name: String, generation: Int, waits: Int, queued: Int) {
        guard let context else { return }
        let session = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .nanoseconds(configuration.catchUpStallTimeout.nanoseconds)) {
            let session = session.value
            guard session.subscriptions.isWaiting(name, generation: generation, waits: waits), let context = session.context else { return }
            let now = context.unwrittenBytes
            if now < queued {
                return session.watchCatchUp(name, generation: generation, waits: waits, queued: now)
            }
            session.runtime.metrics.outboundOverflows.increment()
            session.close(.stoppedReadingDuringCatchUp)
        }
    }

    private func unsubscribe(id: JSONValue?, name: String) {
        guard subscriptions.remove(name) else {
            return reply(id: id, .badRequest("This connection is not subscribed to \(name)."))
        }
        leaveHub(name)
        send(ServerFrame.unsubscribed(id: id, stream: name))
        flush()
    }

    func deliver(_ event: OutboundEvent) -> Bool {
        guard case .ready = phase else { return false }
        switch subscriptions.deliver(event) {
        case .skip:
            return false
        case .write:
            guard writeEvent(event) else { return false }
            return awaitDeliveryFlush()
        case .continueCatchUp:
            continueCatchUp(event.stream)
            return false
        case .close(let why):
            close(why)
            return false
        }
    }

    func deliver(_ run: OutboundRun) -> Bool {
        guard case .ready = phase else { return false }
        // One write for the whole run when the subscription is live just before it and the
        // bound of unwritten bytes leaves room for all of it; otherwise event by event, where the
        // outbound-queue rule judges each frame as it always has.
        // takeRun moves the subscription on, so it comes last.
        guard unwrittenAtMost + run.frames.readableBytes <= configuration.outboundQueueBytes,
              subscriptions.takeRun(run.stream, from: run.firstOffset, through: run.lastOffset) else {
            var wrote = false
            for event in run.events where deliver(event) { wrote = true }
            return wrote
        }
        guard writeEvents(run.frames, count: run.events.count) else { return false }
        return awaitDeliveryFlush()
    }

    /// Notes that the hub flushes this session at the end of the commit being delivered; true
    /// the first time, so that the hub lists the session for that flush once.
    private func awaitDeliveryFlush() -> Bool {
        defer { awaitingDeliveryFlush = true }
        return !awaitingDeliveryFlush
    }

    func flushDeliveries() {
        awaitingDeliveryFlush = false
        flush()
    }

    func deliverEphemeral(_ frame: ByteBuffer, stream: String) {
        // Typing and drafts are about now: a subscription still replaying history skips them.
        guard case .ready = phase, subscriptions.isLive(stream) else { return }
        if writeRaw(frame, persistent: false) { flush() }
    }

    // MARK: Writes

    private func write(_ command: WriteCommand, id: JSONValue?, user: User) {
        guard let context else { return }
        // Draining: answered at once, so a client that keeps writing cannot hold its 4011 off.
        guard closeAfterWrites == nil else { return reply(id: id, .draining) }
        let runtime = self.runtime
        // Started here, on the event loop, in the order the frames came: a client's pipelined
        // writes take their places in the store's queue in that order; their answers come back
        // to this loop as each is given.
        let start = runtime.startWrite(command, by: user)
        if case .refused(let error) = start { return reply(id: id, error) }
        writesInFlight += 1
        let session = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        if case .queued(let pending) = start {
            // The common case waits in no task: the store's writer hands the answer to the loop.
            return runtime.whenAnswered(pending) { outcome in
                loop.execute { session.value.answerWrite(id: id, outcome) }
            }
        }
        // A bot's write is queued only after its persona's gate, which waits: each waits until
        // the one before has its place in the queue (not for its commit), to keep the order.
        let (before, queued): (OneShot<Void>?, OneShot<Void>?)
        if case .needsScreening(.byBotGate) = start {
            (before, queued) = (lastBotWrite, OneShot())
            lastBotWrite = queued
        } else {
            (before, queued) = (nil, nil)
        }
        Task {
            await before?.wait()
            let outcome: Result<WriteReceipt, GatewayError>
            do throws(GatewayError) {
                outcome = .success(try await runtime.finish(start, command, by: user) { queued?.answer(()) })
            } catch {
                outcome = .failure(error)
            }
            // Refused or replayed at the gate: queued nowhere, and the next need not wait longer.
            queued?.answer(())
            loop.execute { session.value.answerWrite(id: id, outcome) }
        }
    }

    /// Acknowledges or refuses a write this session took, and closes for a drain once it was the last.
    private func answerWrite(id: JSONValue?, _ outcome: Result<WriteReceipt, GatewayError>) {
        writesInFlight -= 1
        switch outcome {
        case .success(let receipt):
            send(ServerFrame.ack(id: id, resultJSON: receipt.resultJSON))
            flush()
        case .failure(let error):
            reply(id: id, error)
        }
        if writesInFlight == 0, let close = closeAfterWrites {
            self.close(close)
        }
    }

    /// Closes for a drain once every write this session took is answered (PROTOCOL.md section
    /// 10): a write the store committed is acknowledged before the close frame, and writes that
    /// arrive meanwhile are answered `unavailable`.
    func closeAfterAnsweringWrites(_ why: SessionClose) {
        guard writesInFlight > 0, let context else { return close(why) }
        closeAfterWrites = why
        // A store that never answers does not hold the connection past the drain deadline.
        let session = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .nanoseconds(configuration.drainDeadline.nanoseconds)) {
            session.value.close(why)
        }
    }

    // MARK: Output

    private func reply(id: JSONValue?, _ error: GatewayError) {
        send(ServerFrame.error(id: id, error))
        flush()
    }

    /// Sends a reply or control message of this session.
    private func send(_ json: [UInt8]) {
        writeRaw(WebSocketFraming.frame(.text, payload: json), persistent: true)
    }

    @discardableResult
    private func writeEvent(_ event: OutboundEvent) -> Bool {
        writeEvents(event.frame, count: 1)
    }

    /// Writes the frames of `count` events, counted as delivered at the next flush.
    private func writeEvents(_ frames: ByteBuffer, count: Int) -> Bool {
        let written = writeRaw(frames, persistent: true)
        if written { deliveredSinceFlush += count }
        return written
    }

    /// Queues bytes for the socket under the overflow rule: an ephemeral frame is dropped once half
    /// the queue is taken, leaving room for events; an event or reply that does not fit closes the
    /// connection with 4010 rather than go missing.
    @discardableResult
    private func writeRaw(_ frame: ByteBuffer, persistent: Bool) -> Bool {
        guard let context else { return false }
        if case .closing = phase { return false }
        let limit = configuration.outboundQueueBytes
        // Ephemeral frames may take half the queue, leaving the rest for events.
        let allowed = persistent ? limit : limit / 2
        if unwrittenAtMost + frame.readableBytes > allowed {
            var waiting = context.unwrittenBytes
            if waiting + frame.readableBytes > allowed {
                // Frames written in this pass have not reached the socket yet; give it what it
                // takes before judging the connection slow.
                context.flush()
                waiting = context.unwrittenBytes
            }
            unwrittenAtMost = waiting
            if waiting + frame.readableBytes > allowed {
                if persistent {
                    runtime.metrics.outboundOverflows.increment()
                    close(.outboundOverflow)
                } else {
                    runtime.metrics.ephemeralDropped.increment()
                }
                return false
            }
        }
        context.write(wrapOutboundOut(frame), promise: nil)
        unwrittenAtMost += frame.readableBytes
        return true
    }

    private func flush() {
        context?.flush()
        // One shared atomic add per flush, not one per event: the counter is touched from every loop.
        if deliveredSinceFlush > 0 {
            runtime.metrics.eventsDelivered.increment(by: deliveredSinceFlush)
            deliveredSinceFlush = 0
        }
    }

    /// Sends a close frame, stops all delivery, and ends the connection once the peer answers or
    /// `closeGracePeriod` has passed (a socket that cannot take even the close frame is cut).
    func close(_ why: SessionClose) {
        guard let context else { return }
        let (code, reason) = (why.code, why.reason)
        let phaseBefore = phase
        guard lifecycle.beginClosing() else { return }
        runtime.sessions.update(key: key, lifecycle)
        runtime.metrics.recordClose(code)
        runtime.logger.debug("Closing with \(code.rawValue): \(reason)", metadata: logMetadata(phaseBefore))
        unsubscribeAll()
        deadlines?.remove(self)
        context.startClosingHandshake(why, grace: configuration.closeGracePeriod)
    }
}

extension JSONMembers {
    /// A message's request `id`, when it is one a reply can echo (a number or a string).
    var requestID: JSONValue? {
        switch self["id"] {
        case .number(let text)?: .number(text)
        case .string(let text)?: .string(text)
        default: nil
        }
    }
}

