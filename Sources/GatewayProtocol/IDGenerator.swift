import Foundation
import Synchronization

/// Makes ids with a kind prefix (`p_`, `c_`, `s_`, `d_`) that sort by creation time within their
/// kind: 48 bits of milliseconds, then 32 bits that count up within a millisecond and start at a
/// random point, in Crockford base 32 (which sorts like the number it encodes).
public final class IDGenerator: Sendable {
    private struct State {
        var lastMilliseconds: Int64 = 0
        var counter: UInt32 = 0
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Timestamp

    public init(now: @escaping @Sendable () -> Timestamp = Timestamp.now) {
        self.now = now
    }

    static let alphabet: [UInt8] = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// `alphabet` as a table by byte, for checking ids without a search.
    private static let inAlphabet: [Bool] = (0...255).map { alphabet.contains(UInt8($0)) }

    static func isAlphabetByte(_ byte: UInt8) -> Bool {
        inAlphabet[Int(byte)]
    }

    public func make(_ prefix: String) -> String {
        let (milliseconds, counter) = state.withLock { state -> (Int64, UInt32) in
            let current = max(now().milliseconds, state.lastMilliseconds)
            if current == state.lastMilliseconds {
                if state.counter == UInt32.max {
                    state.lastMilliseconds += 1
                    state.counter = UInt32.random(in: 0..<(1 << 24))
                } else {
                    state.counter += 1
                }
            } else {
                state.lastMilliseconds = current
                state.counter = UInt32.random(in: 0..<(1 << 24))
            }
            return (state.lastMilliseconds, state.counter)
        }
        // 10 characters of time (50 bits) and 7 of counter (35 bits).
        var characters = [UInt8](repeating: 0, count: 17)
        var time = UInt64(milliseconds)
        for position in stride(from: 9, through: 0, by: -1) {
            characters[position] = Self.alphabet[Int(time & 31)]
            time >>= 5
        }
        var count = UInt64(counter)
        for position in stride(from: 16, through: 10, by: -1) {
            characters[position] = Self.alphabet[Int(count & 31)]
            count >>= 5
        }
        return prefix + "_" + String(decoding: characters, as: UTF8.self)
    }

    /// Random text for keys that need no order (epochs).
    public static func random(_ prefix: String, length: Int = 16) -> String {
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<length).map { _ in alphabet[Int(generator.next() % 32)] }
        return prefix + "_" + String(decoding: characters, as: UTF8.self)
    }
}

extension Timestamp {
    /// The wall clock.
    @Sendable public static func now() -> Timestamp {
        Timestamp(milliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
