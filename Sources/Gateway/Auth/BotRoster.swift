import Synchronization
public import GatewayProtocol

/// The set of persona bot accounts currently loaded; the persona loader replaces it on reload.
public final class BotRoster: BotDirectory {
    private let accounts = Mutex([String: User]())
    private let labels = Mutex([String: Comment.Generated]())

    public init(_ accounts: [User] = []) {
        replace(with: accounts)
    }

    public func replace(with accounts: [User]) {
        let byPersona = Dictionary(accounts.compactMap { user in user.persona.map { ($0, user) } }, uniquingKeysWith: { $1 })
        self.accounts.withLock { $0 = byPersona }
    }

    /// The implicit AI label for comments a persona's account writes (PROTOCOL.md section 4).
    public func setLabels(_ newLabels: [String: Comment.Generated]) {
        labels.withLock { $0 = newLabels }
    }

    public func label(persona: String) -> Comment.Generated? {
        labels.withLock { $0[persona] }
    }

    public func botAccount(persona: String) -> User? {
        accounts.withLock { $0[persona] }
    }

    public var all: [User] {
        accounts.withLock { Array($0.values) }.sorted { $0.id < $1.id }
    }
}
