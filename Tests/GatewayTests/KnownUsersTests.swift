import Testing
@testable import Gateway
@testable import GatewayProtocol

/// The store's memory of which user rows are saved as they are: it skips a save only when the row
/// is known to be right, and stays within its capacity however many users come by.
struct KnownUsersTests {
    let alice = User(id: "u_alice", name: "Alice", role: .user)
    let bob = User(id: "u_bob", name: "Bob", role: .user)
    let carol = User(id: "u_carol", name: "Carol", role: .user)

    @Test("a user is saved once while unchanged, again after a rename and a rename back")
    func renames() {
        let known = KnownUsers()
        #expect(known.remember(alice))
        #expect(!known.remember(alice))
        let renamed = User(id: alice.id, name: "Alice B.", role: .user)
        #expect(known.remember(renamed))
        #expect(known.remember(alice), "the rename back is saved too")
        known.forget([alice])
        #expect(known.remember(alice), "a row whose batch failed is saved again")
    }

    @Test("past its capacity it starts again empty: users it forgot are saved again, none is skipped wrongly")
    func capacity() {
        let known = KnownUsers(capacity: 2)
        #expect(known.remember(alice))
        #expect(known.remember(bob))
        #expect(!known.remember(alice), "at capacity, a known user is still known")
        #expect(known.remember(carol), "a third user empties it first")
        #expect(!known.remember(carol))
        #expect(known.remember(alice), "a forgotten user is saved again")
        known.saved([bob, carol])
        #expect(known.has(carol, savedInBatch: [:]))
        #expect(!known.has(alice, savedInBatch: [:]), "emptied again when bob came back past capacity")
        known.forget([alice])
        #expect(known.has(carol, savedInBatch: [:]), "forgetting a user it no longer holds changes nothing")
    }

    @Test("a row saved earlier in the same batch wins over what it remembers")
    func batch() {
        let known = KnownUsers()
        #expect(known.remember(bob))
        known.saved([bob])
        let renamed = User(id: bob.id, name: "Robert", role: .user)
        #expect(known.has(bob, savedInBatch: [:]))
        #expect(known.has(renamed, savedInBatch: [bob.id: renamed]))
        #expect(!known.has(bob, savedInBatch: [bob.id: renamed]), "the batch renamed him: the old row is not the saved one")
        known.forgetAll()
        #expect(!known.has(bob, savedInBatch: [:]), "after another connection changed the file, nobody is known")
        #expect(known.remember(bob))
    }
}
