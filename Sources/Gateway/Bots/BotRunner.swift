import CoreMetrics
import Foundation
public import Logging
import NIOCore
public import Persona
public import GatewayProtocol
public import PersonaEngines

/// Runs the personas as participants: it sees every committed post and comment, decides per
/// persona whether to answer (triggers, `bots: off`, mutes, pauses, conversation rules, avoided
/// topics, rate limits), and writes the reply through the same path as everyone, streaming it as
/// drafts first. Every decision goes to the decision log.
///
/// An actor: its state (personas, limiter, turns in flight) changes only here, and the writer
/// hands it events without waiting.
public actor BotRunner {
    /// What `GET /v1/personas` shows for one persona.
    public struct Listing: Sendable {
        public var id: String
        public var name: String
        public var bio: String
        public var user: User
        public var state: String
        /// Running its last good version: the file on disk has `error`.
        public var stale: Bool
        public var error: String?
        /// When it last opened a topic of its own on a quiet feed.
        public var lastOpenedAt: Timestamp?
    }

    let store: any FeedStore & BotStore
    private let hub: StreamHub
    private let ids: IDGenerator
    private let roster: BotRoster
    private let logger: Logger
    private let metrics: GatewayMetrics?
    private let engines: ModelEngines
    let clock: GatewayClock
    /// Turns (scheduled or running) a persona may have at once; more triggers are skipped.
    private let maximumTurnsInFlight: Int
    var personas: [String: Persona] = [:]
    var catalog = PersonaCatalog()
    /// Posts a persona already answered with support: a self-harm post is answered once.
    private var supportedPosts = BoundedSet<String>(capacity: 10_000)
    /// Items a persona already answers with "I am an AI": one disclosure answers a question put
    /// to no one in particular.
    private var disclosedItems = BoundedSet<String>(capacity: 10_000)
    private var staleErrors: [String: String] = [:]
    private var invalidFiles: [String: String] = [:]
    var paused: Set<String> = []
    /// Counts the pauses and resumes made on this node, so that a read of the stored pauses that
    /// was under way meanwhile does not undo them.
    private var pauseChanges = 0
    var limiter = ReplyLimiter()
    private var turnsInFlight: [String: Int] = [:]
    private var random = SeededRandom(seed: UInt64.random(in: 0...UInt64.max))
    private var policy = PolicyFloor()
    private var lastOpened: [String: Timestamp] = [:]
    /// The personas this node runs: nil runs all of them (one node); in a cluster, those whose
    /// lease this node holds (`PersonaLeases`).
    private var owned: Set<String>?
    /// Whether `restore` has read the pauses and the last day's replies; turns wait for it.
    private var restored = false
    private var waitingForRestore: [CheckedContinuation<Void, Never>] = []
    /// The last quiet-feed refusal logged per persona, so a long quiet spell logs it once an hour.
    private var lastQuietRefusal: [String: (rule: QuietFeedPlanner.Rule, at: Int64)] = [:]

    public init(store: any FeedStore & BotStore, hub: StreamHub, ids: IDGenerator, roster: BotRoster, logger: Logger,
                metrics: GatewayMetrics? = nil, engines: ModelEngines = ModelEngines(), maximumTurnsInFlight: Int = 16,
                ownsEveryPersona: Bool = true, clock: GatewayClock = .system) {
        owned = ownsEveryPersona ? nil : []
        self.metrics = metrics
        self.engines = engines
        self.store = store
        self.hub = hub
        self.ids = ids
        self.roster = roster
        self.logger = logger
        self.maximumTurnsInFlight = maximumTurnsInFlight
        self.clock = clock
    }

    /// Loads the personas and starts watching committed events, so that nothing committed from
    /// now on is missed. What survives a restart is read from the store by `restore`, once the
    /// store runs; turns wait for it.
    public func start(with snapshot: PersonaWatcher.Snapshot) async {
        await apply(snapshot)
        hub.addObserver { [weak self] events in
            // The observer runs on the store's writer thread: the items' JSON is read in the task.
            guard let self, events.contains(where: FeedItem.carriesItem) else { return }
            Task { await self.consider(events) }
        }
    }

    /// Reads the pauses, the last day's replies (so limits survive restarts) and the openers,
    /// then lets the turns that waited go on. Called once by the bots' service.
    public func restore() async {
        await refreshPaused()
        let since = Timestamp(milliseconds: clock.now().milliseconds - 24 * 3_600_000)
        let replies = (try? await store.botReplies(since: since)) ?? []
        limiter = ReplyLimiter(
            replaying: replies.map { ReplyRecord(persona: $0.persona, thread: $0.postID, user: $0.addressee, time: $0.at.milliseconds * 1_000_000) },
            personas: personas)
        for opener in (try? await store.openers(since: since)) ?? [] { lastOpened[opener.persona] = opener.at }
        restored = true
        waitingForRestore.forEach { $0.resume() }
        waitingForRestore = []
        logger.info("Bots: \(personas.count) personas loaded (\(personas.keys.sorted().joined(separator: ", "))), \(replies.count) replies of the last day replayed into the limits.")
    }

    /// Returns once `restore` has run: a turn taken before would not know the pauses or limits.
    /// The reply limiter's time (nanoseconds, at the clock's millisecond), read at the moment a
    /// limit is checked: a time read before an await could be older than a reply of the same
    /// persona recorded meanwhile.
    var limiterNow: Int64 { clock.now().milliseconds * 1_000_000 }

    func awaitRestore() async {
        guard !restored else { return }
        await withCheckedContinuation { waitingForRestore.append($0) }
    }

    /// Takes a new set of personas (start, or a file changed on disk).
    public func apply(_ snapshot: PersonaWatcher.Snapshot) async {
        personas = snapshot.personas
        catalog = snapshot.catalog
        policy = snapshot.catalog.policy
        staleErrors = snapshot.staleErrors.mapValues { $0.map(\.description).joined(separator: "; ") }
        invalidFiles = [:]
        // Situation rules and the policy are no personas: their errors are logged, not listed.
        for (path, diagnostics) in snapshot.catalog.diagnostics where diagnostics.contains(where: { $0.severity == .error }) {
            if path.hasSuffix(PersonaDirectory.situationRules) {
                logger.error("The situation rules are invalid; bots keep the last good ones (or stay silent without any): \(diagnostics.map(\.description).joined(separator: "; "))")
                continue
            }
            if PersonaDirectory.isPolicy(path) {
                logger.error("The platform policy is invalid, so personas are held to the built-in defaults until it is fixed: \(diagnostics.map(\.description).joined(separator: "; "))")
                continue
            }
            let id = snapshot.catalog.failedIDs[path] ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            if personas[id] == nil { invalidFiles[id] = diagnostics.map(\.description).joined(separator: "; ") }
        }
        let accounts = personas.values.map(Self.account)
        publishAccounts()
        roster.setLabels(personas.mapValues(Self.label))
        for account in accounts { store.remember(account) }
        for (id, error) in staleErrors { logger.error("Persona \(id) keeps its last good version: \(error)") }
        for (id, error) in invalidFiles { logger.error("Persona file for \(id) is invalid and not loaded: \(error)") }
    }

    /// The bot accounts a token may act as: a paused or disabled persona's token is refused.
    private func publishAccounts() {
        roster.replace(with: personas.values.filter { $0.enabled && !paused.contains($0.id) }.map(Self.account))
    }

    static func account(_ persona: Persona) -> User {
        User(id: persona.botUserID, name: persona.name, role: .bot, persona: persona.id)
    }

    /// The implicit AI label of a persona's comments (PROTOCOL.md section 4).
    static func label(_ persona: Persona) -> Comment.Generated {
        Comment.Generated(persona: persona.id, engine: persona.responder.engine.rawValue, model: persona.responder.modelLabel)
    }

    /// The label of a comment the given engine wrote (the offline fallback labels itself).
    static func label(_ persona: Persona, by responder: any Responder) -> Comment.Generated {
        Comment.Generated(persona: persona.id, engine: responder.engine, model: responder.model)
    }

    public func listing() -> [Listing] {
        var rows = personas.values.sorted { $0.id < $1.id }.map { persona in
            Listing(
                id: persona.id, name: persona.name, bio: persona.bio, user: Self.account(persona),
                state: !persona.enabled ? "disabled" : (paused.contains(persona.id) ? "paused" : "active"), stale: staleErrors[persona.id] != nil,
                error: staleErrors[persona.id], lastOpenedAt: lastOpened[persona.id])
        }
        for (id, error) in invalidFiles.sorted(by: { $0.key < $1.key }) {
            rows.append(Listing(
                id: id, name: id, bio: "", user: User(id: "b_\(id)", name: id, role: .bot, persona: id), state: "invalid", stale: false, error: error,
                lastOpenedAt: lastOpened[id]))
        }
        return rows
    }

    /// The listing with what only admins see: engine, model, circuit breaker, turns in flight.
    struct AdminListing: Sendable {
        var listing: Listing
        var engine: String
        var model: String
        var circuitOpen: Bool
        var turnsInFlight: Int
        /// Whether this node runs the persona (always, on one node).
        var ownedHere: Bool
        /// Model tokens used today (UTC) on this node, against `max_tokens_per_day`.
        var tokensToday: Int
        var tokensPerDay: Int?
    }

    func adminListing() async -> [AdminListing] {
        var rows: [AdminListing] = []
        for row in listing() {
            let responder = personas[row.id]?.responder
            rows.append(AdminListing(
                listing: row, engine: responder?.engine.rawValue ?? "", model: responder?.modelLabel ?? "",
                circuitOpen: await engines.isCircuitOpen(row.id), turnsInFlight: turnsInFlight[row.id] ?? 0, ownedHere: owns(row.id),
                tokensToday: engines.tokensToday(row.id), tokensPerDay: personas[row.id]?.responder.maxTokensPerDay))
        }
        return rows
    }

    // MARK: Ownership (several nodes)

    /// Every persona loaded, for the leases.
    public func personaIDs() -> Set<String> { Set(personas.keys) }

    /// Whether this node runs `persona`.
    public func owns(_ persona: String) -> Bool { owned?.contains(persona) ?? true }

    /// How long after an item a node taking a persona over still answers it.
    static let takeoverLookback: Int64 = 60_000

    /// The personas whose leases this node holds now. For each one gained: its limits are
    /// rebuilt from the shared store (the previous owner's replies count), and the items of the
    /// last minute it made no decision about (they arrived while no node owned it, or while its
    /// owner was dying) are considered now. Pauses are re-read, since any node may set them.
    public func setOwned(_ ids: Set<String>) async {
        await awaitRestore()
        let gained = ids.subtracting(owned ?? [])
        let lost = (owned ?? []).subtracting(ids)
        owned = ids
        await refreshPaused()
        for id in lost.sorted() { logger.notice("Persona \(id) is no longer run by this node.") }
        for id in gained.sorted() {
            guard let persona = personas[id] else { continue }
            await takeOver(persona)
        }
    }

    private func takeOver(_ persona: Persona) async {
        let time = clock.now().milliseconds
        let replies = (try? await store.botReplies(since: Timestamp(milliseconds: time - 24 * 3_600_000))) ?? []
        limiter.replace(
            persona: persona,
            with: replies.filter { $0.persona == persona.id }.map {
                ReplyRecord(persona: $0.persona, thread: $0.postID, user: $0.addressee, time: $0.at.milliseconds * 1_000_000)
            })
        let since = Timestamp(milliseconds: time - Self.takeoverLookback)
        let decided = (try? await store.decidedItems(persona: persona.id, since: Timestamp(milliseconds: since.milliseconds - Self.takeoverLookback))) ?? []
        let missed = ((try? await store.recentItems(since: since)) ?? []).compactMap(FeedItem.init).filter { !decided.contains($0.id) }
        logger.notice(
            "Persona \(persona.id) is now run by this node: limits rebuilt from \(replies.count) replies of the last day, \(missed.count) items of the last minute without a decision considered now.")
        for item in missed { await consider(item, among: [persona]) }
    }

    /// Reads the pauses from the store, where any node may set them. A read that overlapped a
    /// pause or resume made here may predate it, so it is read again (the change is stored by then).
    private func refreshPaused() async {
        for _ in 0..<3 {
            let changes = pauseChanges
            guard let stored = try? await store.pausedPersonas() else { return }
            guard changes == pauseChanges else { continue }
            paused = stored
            publishAccounts()
            return
        }
    }

    public func knows(_ persona: String) -> Bool { personas[persona] != nil || invalidFiles[persona] != nil }

    /// Pauses or resumes a persona, at once and across restarts.
    public func setPaused(_ persona: String, _ isPaused: Bool) async throws(GatewayError) {
        try await store.setPaused(persona, isPaused)
        pauseChanges += 1
        if isPaused { paused.insert(persona) } else { paused.remove(persona) }
        publishAccounts()
    }

    // MARK: Deciding

    private func consider(_ events: [StoredEvent]) async {
        // A node that runs no persona has nothing to decide: the items are not even read.
        guard personas.values.contains(where: { owns($0.id) }) else { return }
        await awaitRestore()
        for item in events.compactMap(FeedItem.init) {
            await consider(item)
        }
    }

    /// Decides about one item for every persona this node runs, or for `candidates`.
    private func consider(_ item: FeedItem, among chosen: [Persona]? = nil) async {
        let candidates = (chosen ?? personas.values.sorted(by: { $0.id < $1.id })).filter { owns($0.id) }
        guard !candidates.isEmpty else { return }
        // The chain above a comment is read once, for every persona.
        var context: ThreadContext?
        if !item.isPost {
            context = try? await store.context(postID: item.postID, commentID: item.id)
        }
        let botsEnabled = item.isPost ? item.botsEnabled : (context?.post.botsEnabled ?? false)
        // The situation is read once per item; a self-harm item is flagged whatever the bots do.
        let reading = SituationReader(rules: catalog.situations).read(item.body)
        if reading.primary == .selfHarm && chosen == nil && !item.authorIsBot {
            await raise(ModerationFlag(at: clock.now(), reason: .selfHarm, situation: reading.summary, itemID: item.id, postID: item.postID,
                                       botAction: "no bot has answered", text: item.body), as: .selfHarm)
        }
        let postBody = context?.post.body ?? item.body
        let above = context?.chain.dropFirst().map(\.body) ?? []
        for persona in candidates where persona.enabled && persona.botUserID != item.authorID {
            let gate = TurnGate(persona: persona, catalog: catalog)
            // A comment under its own comment, or a top-level comment on its own post.
            let repliesToPersona = context.map { $0.chainAuthors.count > 1 && $0.chainAuthors[1] == persona.botUserID } ?? false
            let gateItem = TurnGate.Item(text: item.body, above: above, isPost: item.isPost, repliesToPersona: repliesToPersona,
                                         chainIsBot: context?.chainIsBot ?? [item.authorIsBot], replyDepth: item.isPost ? 0 : item.depth + 1,
                                         reading: reading)
            let match: TriggerMatcher.Match
            switch gate.trigger(gateItem, random: &random) {
            case .match(let matched):
                match = matched
            case .none(let refusal):
                if let refusal { await log(persona, "new_post", item, refusal, reading: reading) }
                continue
            }
            let trigger = match.trigger.rawValue
            let addressed = match.isAddressed
            // Asked only of a turn that would otherwise go ahead: a store read per persona and item.
            var muted = false
            if botsEnabled, !paused.contains(persona.id) {
                muted = (try? await store.isMuted(botID: persona.botUserID, by: item.authorID, postID: item.postID)) == true
            }
            // Read after the await and taken below without another: on this actor, what other
            // personas already said and this turn's claim on it are one step.
            let circumstances = TurnGate.Circumstances(
                botsEnabled: botsEnabled, paused: paused.contains(persona.id), mutedBy: muted ? item.authorID : nil,
                supportGiven: supportedPosts.contains(item.postID), disclosureGiven: disclosedItems.contains(item.id))
            let plan: TurnPlanner.Plan
            switch gate.admit(gateItem, addressed: addressed, circumstances) {
            case .failure(let refusal):
                await log(persona, trigger, item, refusal, reading: reading)
                continue
            case .success(let admitted):
                plan = admitted
            }
            let time = limiterNow
            // Where help is, for someone in crisis or hurt at home, and an honest "I am an AI" to
            // whoever asks by name, are owed past the thread's count and cooldown; the persona's
            // overall and per-user rates still hold.
            let owed = plan.reading.primary == .selfHarm || plan.support != nil
                || (addressed && (plan.reading.contains(.asksIfBot) || plan.reading.hurtAtHome))
            if case .deny(let rule, _) = limiter.check(persona: persona, thread: item.postID, user: item.authorID, now: time, owed: owed) {
                await log(persona, trigger, item, outcome: .skipped, rule: .limit(rule), detail: "over the limit; dropped, not queued", reading: reading)
                continue
            }
            guard turnsInFlight[persona.id, default: 0] < maximumTurnsInFlight else {
                await log(persona, trigger, item, outcome: .skipped, rule: .busy, detail: "\(maximumTurnsInFlight) turns already in flight", reading: reading)
                continue
            }
            // The limits are taken now, so a flood is refused here instead of queueing.
            limiter.record(persona: persona, thread: item.postID, user: item.authorID, now: time)
            if reading.primary == .selfHarm { supportedPosts.insert(item.postID) }
            if plan.reading.contains(.asksIfBot) && !addressed { disclosedItems.insert(item.id) }
            turnsInFlight[persona.id, default: 0] += 1
            let seed = random.next()
            let thread = (context?.chain.reversed() ?? [ThreadContext.Link(author: User(id: item.authorID, name: item.authorName, role: .user), body: item.body)])
                .map { ThreadMessage(author: $0.author.name, byPersona: $0.author.id == persona.botUserID, text: $0.body) }
            let turn = Turn(persona: persona, item: item, postBody: postBody, thread: thread, trigger: trigger, delay: match.delay, seed: seed,
                            plan: plan)
            Task { await self.run(turn) }
        }
    }

    struct Turn: Sendable {
        var persona: Persona
        var item: FeedItem
        var postBody: String
        var thread: [ThreadMessage]
        var trigger: String
        var delay: Duration
        var seed: UInt64
        var plan: TurnPlanner.Plan
    }

    // MARK: Replying

    private func run(_ turn: Turn) async {
        defer { turnsInFlight[turn.persona.id, default: 1] -= 1 }
        try? await Task.sleep(for: turn.delay)
        // The persona as it is now: a reload during the delay may have changed, disabled or
        // removed it.
        guard let persona = personas[turn.persona.id] else {
            await log(turn.persona, turn.trigger, turn.item, outcome: .skipped, rule: .removed, detail: "the persona file was removed")
            return
        }
        guard persona.enabled, !paused.contains(persona.id) else {
            await log(persona, turn.trigger, turn.item, outcome: .skipped, rule: paused.contains(persona.id) ? .paused : .disabled,
                      detail: "stopped before replying")
            return
        }
        let account = Self.account(persona)
        let stream = "thread:\(turn.item.postID)"
        let parentID = turn.item.isPost ? nil : turn.item.id
        let drafts = DraftStream(hub: hub, ids: ids, clock: clock, stream: stream, author: account, parentID: parentID)
        var plan = turn.plan
        plan.persona = persona
        let reading = plan.reading
        let request = plan.request(post: turn.postBody, parent: turn.item.isPost ? nil : turn.item.body, seed: turn.seed, thread: turn.thread)
        let policy = ReplyPolicy(persona: persona, checker: plan.checker)
        let onStep: @Sendable (Int, IncrementalChecker.Step) async -> Void = { attempt, step in await drafts.step(attempt: attempt, step) }
        do {
            var responder = engines.responder(for: persona)
            var rule = DecisionRule.replied
            var outcome: ReplyPolicy.Outcome
            do {
                outcome = try await policy.run(request, responder: responder, onStep: onStep)
            } catch let failure as EngineFailure {
                // Whatever the model showed is withdrawn; the fallback, if any, starts a new draft.
                await drafts.retract()
                await log(persona, turn.trigger, turn.item, outcome: .failed, rule: .engine(failure.kind), detail: failure.detail, reading: reading)
                guard let fallback = engines.fallback(for: persona) else { return }
                responder = fallback
                rule = .engineFallback
                outcome = try await policy.run(request, responder: fallback, onStep: onStep)
            }
            let unfit = ReplyPolicy.unfit(outcome)
            guard let reply = outcome.reply else {
                await drafts.retract()
                await log(persona, turn.trigger, turn.item, outcome: .silent, rule: .tone(unfit.first?.rule), detail: outcome.reason, reading: reading)
                await flagUnfit(unfit, persona, turn.item, reading, botAction: "\(persona.id) stayed silent: \(outcome.reason)")
                if reading.primary == .selfHarm { supportedPosts.remove(turn.item.postID) }
                return
            }
            guard owns(persona.id) else {
                await drafts.retract()
                await log(persona, turn.trigger, turn.item, outcome: .skipped, rule: .clusterOwner, detail: "another node runs this persona now")
                return
            }
            let body = try TextRules.normalizeBody(reply, maximumScalars: 4000)
            if outcome.byOfflineEngine { responder = OfflineResponder() }
            // One reply per item and persona, whichever node writes it: a node that took the persona
            // over mid-turn gets `conflict` (or the same ack) instead of writing a second reply.
            let written: Result<WriteReceipt, GatewayError>
            do throws(GatewayError) {
                written = .success(try await store.write(
                    .comment(postID: turn.item.postID, parentID: parentID, body: body, clientID: "reply-\(turn.item.id)",
                             generated: Self.label(persona, by: responder)),
                    by: account))
            } catch {
                written = .failure(error)
            }
            if case .failure(let error) = written, error.code == .conflict {
                await drafts.retract()
                await log(persona, turn.trigger, turn.item, outcome: .skipped, rule: .alreadyAnswered, detail: "this persona already answered this item")
                return
            }
            let receipt = try written.get()
            await drafts.commit(commentID: receipt.comment?.id ?? "", finalText: body)
            if receipt.replayed {
                await log(persona, turn.trigger, turn.item, outcome: .skipped, rule: .alreadyAnswered, detail: "this persona already answered this item")
                return
            }
            if let firstDelta = await drafts.firstDeltaAt, persona.responder.engine == .offline {
                // Commit of the post to the first draft frame, less the configured delay: the
                // gateway's own overhead (the offline engine's tens of microseconds included).
                let overhead = firstDelta.milliseconds - turn.item.committedAt.milliseconds - turn.delay.milliseconds
                metrics?.botFirstDraftOverhead.recordNanoseconds(max(0, overhead) * 1_000_000)
            }
            if outcome.usedFallback { rule = unfit.isEmpty ? .toneFallback : .carefulFallback }
            await log(persona, turn.trigger, turn.item, outcome: .replied, rule: rule,
                      detail: outcome.attempts.count > 1 ? "after \(outcome.attempts.count) attempts: \(outcome.reason)" : outcome.reason, reading: reading)
            await flagUnfit(unfit, persona, turn.item, reading, botAction: "\(persona.id) replied with the careful offline reply instead: \(body)")
            if reading.primary == .selfHarm {
                await raise(ModerationFlag(at: turn.item.committedAt, reason: .selfHarm, situation: reading.summary, itemID: turn.item.id,
                                           postID: turn.item.postID, persona: persona.id, botAction: "\(persona.id) answered once with the support text",
                                           text: turn.item.body), as: .selfHarm)
            }
        } catch {
            await drafts.retract()
            await log(persona, turn.trigger, turn.item, outcome: .failed, rule: .error, detail: "\(error)", reading: reading)
        }
    }

    /// Tells moderators about a reply refused because it did not fit what it answered.
    private func flagUnfit(_ unfit: [Violation], _ persona: Persona, _ item: FeedItem, _ reading: SituationReading, botAction: String) async {
        guard let first = unfit.first else { return }
        await raise(ModerationFlag(at: clock.now(), reason: .unfitReply, situation: reading.summary, itemID: item.id, postID: item.postID, persona: persona.id,
                                   botAction: botAction, rule: "\(first)", text: item.body), as: reading.primary)
    }

    private func raise(_ flag: ModerationFlag, as situation: Situation) async {
        metrics?.recordFlag(situation: situation.name, reason: flag.reason.rawValue)
        await store.raise(flag)
    }

    // MARK: Quiet feed

    /// Checks whether a quiet feed should get a post of a persona's own, and writes it
    /// (`triggers.quiet_feed`). Called every few seconds by a service, or by a test's clock.
    public func tickQuietFeed() async {
        await awaitRestore()
        let candidates = personas.values.filter { $0.enabled && $0.triggers.quietFeed != nil && !paused.contains($0.id) && owns($0.id) }
        guard !candidates.isEmpty else { return }
        let time = clock.now()
        let latest: (at: Timestamp, body: String)?
        let openers: [(persona: String, at: Timestamp, body: String)]
        do {
            latest = try await store.latestPost()
            openers = try await store.openers(since: Timestamp(milliseconds: time.milliseconds - 7 * 86_400_000))
        } catch {
            return
        }
        let hour = policy.hour(atMilliseconds: time.milliseconds)
        let verdicts = QuietFeedPlanner.decide(
            now: time.milliseconds, lastPostAt: latest?.at.milliseconds, hour: hour, policy: policy,
            candidates: candidates.map { persona in
                .init(persona: persona, recentOpeners: openers.filter { $0.persona == persona.id && time.milliseconds - $0.at.milliseconds < 86_400_000 }
                    .map(\.at.milliseconds))
            })
        for verdict in verdicts {
            guard let persona = personas[verdict.persona] else { continue }
            guard verdict.opens else {
                // Not yet quiet long enough is not an opener considered; the rest is logged once an hour.
                guard verdict.rule != .notQuietYet else { continue }
                if let last = lastQuietRefusal[persona.id], last.rule == verdict.rule, time.milliseconds - last.at < 3_600_000 { continue }
                lastQuietRefusal[persona.id] = (verdict.rule, time.milliseconds)
                await logOpener(persona, outcome: .skipped, rule: .quietFeed(verdict.rule), detail: verdict.detail)
                continue
            }
            await open(persona, latestBody: latest?.body, recent: openers.filter { $0.persona == persona.id }.map(\.body), at: time)
        }
    }

    private func open(_ persona: Persona, latestBody: String?, recent: [String], at time: Timestamp) async {
        let language = persona.voice.fixedLanguage ?? latestBody.map(TextScript.language(of:)) ?? .english
        // A new seed each day, so openers vary from day to day; recent ones are avoided.
        let day = UInt64(time.milliseconds / 86_400_000)
        var request = ReplyRequest(persona: persona, kind: .opener, post: "", language: language, seed: day ^ SeededRandom.hash(persona.id))
        request.avoid = recent
        var responder = engines.responder(for: persona)
        let text: String
        do {
            text = try await Self.collect(responder.reply(to: request))
        } catch {
            await logOpener(persona, outcome: .failed, rule: (error as? EngineFailure).map { .engine($0.kind) } ?? .error, detail: "\(error)")
            guard let fallback = engines.fallback(for: persona), let fallbackText = try? await Self.collect(fallback.reply(to: request)) else { return }
            responder = fallback
            text = fallbackText
        }
        let checker = ToneChecker(persona: persona, lexicons: catalog.lexicons, answering: text)
        if let violation = checker.violations(in: text).first {
            await logOpener(persona, outcome: .silent, rule: .tone(violation.rule), detail: violation.detail)
            return
        }
        // Read now, not when the opener began: another write of this persona may have been
        // recorded while the engine wrote.
        let limiterTime = limiterNow
        if case .deny(let rule, _) = limiter.check(persona: persona, thread: "quiet_feed", user: "feed", now: limiterTime) {
            await logOpener(persona, outcome: .skipped, rule: .limit(rule), detail: "over the limit")
            return
        }
        limiter.record(persona: persona, thread: "quiet_feed", user: "feed", now: limiterTime)
        do {
            let body = try TextRules.normalizeBody(text, maximumScalars: 4000)
            let receipt = try await store.write(.post(body: body, clientID: "opener-\(persona.id)-\(time.milliseconds)", botsEnabled: true, generated: Self.label(persona, by: responder)),
                                                by: Self.account(persona))
            lastOpened[persona.id] = time
            metrics?.recordBotDecision(persona: persona.id, outcome: DecisionOutcome.posted.rawValue)
            await store.record(BotDecision(
                persona: persona.id, at: time, trigger: "quiet_feed", itemID: receipt.post?.id ?? "", postID: receipt.post?.id ?? "",
                outcome: DecisionOutcome.posted.rawValue, rule: DecisionRule.quietFeed(.opens).name, detail: "the feed was quiet"))
        } catch {
            await logOpener(persona, outcome: .failed, rule: .error, detail: "\(error)")
        }
    }

    private static func collect(_ pieces: AsyncThrowingStream<String, any Error>) async throws -> String {
        var text = ""
        for try await piece in pieces { text += piece }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func logOpener(_ persona: Persona, outcome: DecisionOutcome, rule: DecisionRule, detail: String) async {
        metrics?.recordBotDecision(persona: persona.id, outcome: outcome.rawValue)
        await store.record(BotDecision(persona: persona.id, at: clock.now(), trigger: "quiet_feed", itemID: "", postID: "", outcome: outcome.rawValue,
                                       rule: rule.name, detail: detail))
    }

    private func log(_ persona: Persona, _ trigger: String, _ item: FeedItem, outcome: DecisionOutcome, rule: DecisionRule, detail: String,
                     reading: SituationReading? = nil) async {
        metrics?.recordBotDecision(persona: persona.id, outcome: outcome.rawValue)
        await store.record(BotDecision(
            persona: persona.id, at: clock.now(), trigger: trigger, itemID: item.id, postID: item.postID, outcome: outcome.rawValue, rule: rule.name,
            detail: detail, situation: reading?.summary ?? ""))
    }

    private func log(_ persona: Persona, _ trigger: String, _ item: FeedItem, _ refusal: TurnGate.Refusal, reading: SituationReading) async {
        await log(persona, trigger, item, outcome: refusal.outcome, rule: refusal.rule, detail: refusal.detail, reading: reading)
    }
}
