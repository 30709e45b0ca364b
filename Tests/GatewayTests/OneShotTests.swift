import NIOConcurrencyHelpers
import Testing
@testable import Gateway

/// The one-time answer every queued write is given (by its batch, or by the queue's stall watch first):
/// exactly one answer reaches exactly one waiter, whether the waiter is a task or a callback and
/// whether it comes before or after the answer.
@Suite("One-time answers")
struct OneShotTests {
    @Test("a callback waiter gets the first answer once, whether it registers before or after it")
    func callbackWaiter() {
        let seen = NIOLockedValueBox<[Int]>([])
        let before = OneShot<Int>()
        before.whenAnswered { value in seen.withLockedValue { $0.append(value) } }
        #expect(seen.withLockedValue { $0 }.isEmpty, "no answer yet, so the callback has not run")
        before.answer(1)
        before.answer(2)
        #expect(seen.withLockedValue { $0 } == [1])

        let after = OneShot<Int>()
        after.answer(3)
        after.answer(4)
        after.whenAnswered { value in seen.withLockedValue { $0.append(value) } }
        #expect(seen.withLockedValue { $0 } == [1, 3])
        #expect(after.isAnswered)
    }

    @Test("answers racing a callback's registration: the callback runs exactly once, with one of them")
    func racingAnswers() async {
        for _ in 0..<200 {
            let shot = OneShot<Int>()
            let calls = NIOLockedValueBox<[Int]>([])
            await withTaskGroup(of: Void.self) { group in
                group.addTask { shot.whenAnswered { value in calls.withLockedValue { $0.append(value) } } }
                for value in 1...2 { group.addTask { shot.answer(value) } }
            }
            let seen = calls.withLockedValue { $0 }
            #expect(seen.count == 1 && [1, 2].contains(seen[0]), "callback saw \(seen)")
        }
    }
}
