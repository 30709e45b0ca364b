import GatewayProtocol
import Synchronization

/// The users whose rows a store holds as they are now (name, role, persona), by id, so that a
/// write saves its author's row only when it changed. A user seen under another name replaces the
/// entry, so a rename and a rename back are both saved.
///
/// Every user that ever identified would stay here (about 150 bytes each) for the life of the
/// process, so past `capacity` users it starts again empty: a user it no longer knows costs one
/// upsert of a row that is already right, never a wrong row.
final class KnownUsers: Sendable {
    private let users = Mutex([String: User]())
    let capacity: Int

    init(capacity: Int = 200_000) {
        self.capacity = max(1, capacity)
    }

    /// Notes that `user` is about to be saved (an identify); false when the store has it as it is.
    func remember(_ user: User) -> Bool {
        var emptied: [String: User] = [:]
        return users.withLock { users in
            guard users[user.id] != user else { return false }
            Self.insert(user, into: &users, capacity: capacity, emptied: &emptied)
            return true
        }
    }

    /// Inserts `user`, first moving a full dictionary out to `emptied`, so that its entries are
    /// freed after the lock is released (the writer waits on this lock).
    private static func insert(_ user: User, into users: inout [String: User], capacity: Int, emptied: inout [String: User]) {
        if users[user.id] == nil, users.count >= capacity { swap(&users, &emptied) }
        users[user.id] = user
    }

    /// Whether the store has `user`'s row as it is, counting the rows `batch` saved before.
    func has(_ user: User, savedInBatch batch: [String: User]) -> Bool {
        if let saved = batch[user.id] { return saved == user }
        return users.withLock { $0[user.id] == user }
    }

    func saved(_ saved: some Sequence<User>) {
        var emptied: [String: User] = [:]
        users.withLock { users in
            for user in saved { Self.insert(user, into: &users, capacity: capacity, emptied: &emptied) }
        }
    }

    /// Forgets every user: another connection may have changed their rows.
    func forgetAll() {
        // Handed out of the lock, so that the entries are freed after it is released.
        _ = users.withLock { users in
            defer { users = [:] }
            return users
        }
    }

    /// Forgets users whose rows were not saved after all (their batch failed).
    func forget(_ forgotten: [User]) {
        users.withLock { users in
            for user in forgotten where users[user.id] == user { users[user.id] = nil }
        }
    }
}
