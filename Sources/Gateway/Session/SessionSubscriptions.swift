import GatewayProtocol

/// A session's subscriptions (PROTOCOL.md section 5) as a value: the streams it holds, where each
/// one stands (starting, catching up, live), and what each store answer or committed event leads
/// to. The session does the I/O these answers ask for; nothing here touches a socket or the store,
/// so the recovery rules are tested without either.
struct SessionSubscriptions {
    enum State {
        /// The store is being asked where to start; live events wait here meanwhile.
        case starting(generation: Int, buffered: [OutboundEvent])
        /// Replaying history a page at a time, as fast as the socket takes it. Live events are
        /// not held meanwhile: they are in the store, and only move the point to catch up to.
        /// Boxed: a replay is short-lived, and every idle subscription would otherwise hold room
        /// for its state.
        indirect case catchingUp(generation: Int, CatchUp)
        case live(lastOffset: Int64)
    }

    /// Where a replay stands (a client that reads is never closed with 4010 for the size of its
    /// backlog).
    struct CatchUp {
        /// The last offset written to the client.
        var lastOffset: Int64
        /// The latest offset known to be committed: the replay is over when it gets there.
        var target: Int64
        /// Events read from the store and not written yet.
        var page: ArraySlice<StoredEvent>
        /// The store is being read, or the socket drained: nothing to do until it answers.
        var waiting = false
        /// Counts the waits, so that a stall check knows whether the replay moved since.
        var waits = 0
    }

    /// What the session does with the store's answer to a `sub`.
    enum StartStep {
        /// Unsubscribed or subscribed again meanwhile: the answer is stale.
        case ignore
        /// The subscription is gone: answer the request with this error.
        case refuse(GatewayError)
        /// Send `subscribed`, then write these events, in order.
        case live([OutboundEvent])
        /// Send `subscribed`, then replay.
        case catchUp
        /// Send `subscribed`, write these events, then close: the events held while the store
        /// was read have a hole after them.
        case closeAfter([OutboundEvent], SessionClose)
    }

    /// What the session does with a committed event of one of its streams.
    enum Delivery: Equatable {
        case skip
        case write
        /// The event moved a waiting replay's target: continue it.
        case continueCatchUp
        case close(SessionClose)
    }

    /// The next thing a replay writes.
    enum ReplayNext: Equatable {
        case write(StoredEvent)
        /// The page does not continue the stream: history was pruned under the replay.
        case gap
        /// Nothing left in the page (or the replay is waiting, or over).
        case pageDone
    }

    /// What a replay waits for once it wrote what it could.
    enum CatchUpPause: Equatable {
        /// Caught up: the subscription is live.
        case live
        /// The socket must take what was written; then `resumed(_:generation:page: nil)`.
        case awaitDrain(generation: Int, waits: Int)
        /// The store's next page after this offset; then `resumed` with it.
        case readPage(generation: Int, after: Int64)
        case nothing
    }

    enum Resumption: Equatable {
        case continueCatchUp
        case stale
        case close(SessionClose)
    }

    let maximum: Int
    private(set) var states: [String: State] = [:]
    private var generation = 0

    init(maximum: Int) {
        self.maximum = maximum
    }

    /// Admits a `sub` request: the stream and the generation the store's answer must carry, or
    /// the error to answer with.
    mutating func begin(_ name: String, user: User?) -> Result<(stream: StreamName, generation: Int), GatewayError> {
        guard let stream = StreamName(name) else {
            return .failure(.notFound("There is no stream \"\(name)\"; streams are feed, thread:<post_id> and user:<user_id>."))
        }
        if case .user(let owner) = stream, owner != user?.id {
            return .failure(.forbidden("Only \(owner) may subscribe to \(name)."))
        }
        guard states[name] == nil else {
            return .failure(GatewayError(.alreadySubscribed, "This connection is already subscribed to \(name)."))
        }
        guard states.count < maximum else {
            return .failure(GatewayError(.tooManySubscriptions, "A connection may hold at most \(maximum) subscriptions."))
        }
        generation += 1
        states[name] = .starting(generation: generation, buffered: [])
        return .success((stream, generation))
    }

    /// The store answered where the subscription starts; events that arrived meanwhile were held.
    mutating func started(_ name: String, generation: Int, since: (offset: Int64, epoch: String)?,
                          _ answer: Result<SubscriptionStart, GatewayError>) -> StartStep {
        guard case .starting(generation, let buffered) = states[name] else { return .ignore }
        let start: SubscriptionStart
        switch answer {
        case .failure(let error):
            states[name] = nil
            return .refuse(error)
        case .success(let answer):
            start = answer
        }
        let latest = max(start.position.offset, buffered.last?.offset ?? 0)
        if start.recovered, let since, since.offset < latest {
            states[name] = .catchingUp(generation: generation, CatchUp(lastOffset: since.offset, target: latest, page: start.replay[...]))
            return .catchUp
        }
        var last = start.position.offset
        var toWrite: [OutboundEvent] = []
        for event in buffered where event.offset > last {
            guard event.offset == last + 1 else { return .closeAfter(toWrite, .eventsMissed) }
            toWrite.append(event)
            last = event.offset
        }
        states[name] = .live(lastOffset: last)
        return .live(toWrite)
    }

    /// A committed event of `stream` reached this session.
    /// Runs for every delivered event of every subscriber: the stream's name is hashed once.
    mutating func deliver(_ event: OutboundEvent) -> Delivery {
        guard let position = states.index(forKey: event.stream) else { return .skip }
        switch states.values[position] {
        case .starting(let generation, var buffered):
            // A placeholder while the array is out, so that the append does not copy it.
            states.values[position] = .live(lastOffset: 0)
            buffered.append(event)
            states.values[position] = .starting(generation: generation, buffered: buffered)
            return .skip
        case .catchingUp(let generation, var catchUp):
            catchUp.target = max(catchUp.target, event.offset)
            states.values[position] = .catchingUp(generation: generation, catchUp)
            return !catchUp.waiting && catchUp.page.isEmpty ? .continueCatchUp : .skip
        case .live(let last):
            if event.offset <= last { return .skip }
            guard event.offset == last + 1 else { return .close(.eventsMissed) }
            states.values[position] = .live(lastOffset: event.offset)
            return .write
        }
    }

    /// Takes a run of `stream`'s events `first...last` as written, when the subscription is live
    /// just before it (what `deliver` would say of each event); otherwise changes nothing.
    mutating func takeRun(_ stream: String, from first: Int64, through last: Int64) -> Bool {
        guard let position = states.index(forKey: stream), case .live(let lastOffset) = states.values[position], lastOffset + 1 == first else {
            return false
        }
        states.values[position] = .live(lastOffset: last)
        return true
    }

    /// The next event a replay writes, if it is not waiting.
    func nextReplay(_ name: String) -> ReplayNext {
        guard case .catchingUp(_, let catchUp) = states[name], !catchUp.waiting, let event = catchUp.page.first else { return .pageDone }
        return event.offset == catchUp.lastOffset + 1 ? .write(event) : .gap
    }

    /// The event `nextReplay` gave was written.
    mutating func replayed(_ name: String) {
        guard case .catchingUp(let generation, var catchUp) = states[name], let event = catchUp.page.first else { return }
        catchUp.lastOffset = event.offset
        catchUp.page.removeFirst()
        states[name] = .catchingUp(generation: generation, catchUp)
    }

    /// The replay wrote what the socket had room for: live when it reached the latest offset it
    /// knows of, otherwise waiting for the socket to drain or for the store's next page.
    mutating func pauseCatchUp(_ name: String) -> CatchUpPause {
        guard case .catchingUp(let generation, var catchUp) = states[name], !catchUp.waiting else { return .nothing }
        catchUp.target = max(catchUp.target, catchUp.lastOffset)
        if catchUp.page.isEmpty && catchUp.lastOffset == catchUp.target {
            states[name] = .live(lastOffset: catchUp.lastOffset)
            return .live
        }
        catchUp.waiting = true
        catchUp.waits += 1
        states[name] = .catchingUp(generation: generation, catchUp)
        return catchUp.page.isEmpty
            ? .readPage(generation: generation, after: catchUp.lastOffset) : .awaitDrain(generation: generation, waits: catchUp.waits)
    }

    /// The socket drained (`page` nil) or the store answered: the replay goes on, the answer is
    /// stale, or the history is gone or unreadable.
    mutating func resumed(_ name: String, generation: Int, page: Result<[StoredEvent], GatewayError>?) -> Resumption {
        guard case .catchingUp(generation, var catchUp) = states[name] else { return .stale }
        catchUp.waiting = false
        switch page {
        case nil:
            break
        case .success(let events)?:
            guard !events.isEmpty else { return .close(.historyPruned) }
            catchUp.page = events[...]
        case .failure?:
            return .close(.storeUnreadable)
        }
        states[name] = .catchingUp(generation: generation, catchUp)
        return .continueCatchUp
    }

    /// Whether a replay still waits on the same drain as `waits` counted.
    func isWaiting(_ name: String, generation: Int, waits: Int) -> Bool {
        guard case .catchingUp(generation, let catchUp) = states[name] else { return false }
        return catchUp.waiting && catchUp.waits == waits
    }

    func isLive(_ stream: String) -> Bool {
        if case .live? = states[stream] { return true }
        return false
    }

    /// Removes one subscription; false when there was none.
    mutating func remove(_ name: String) -> Bool {
        states.removeValue(forKey: name) != nil
    }

    /// Removes every subscription and returns their names.
    mutating func removeAll() -> [String] {
        defer { states.removeAll() }
        return Array(states.keys)
    }
}
