public import Foundation
public import GatewayProtocol
import NIOCore

/// The server's time, one value for the whole server: `GatewayServer` takes it from its
/// configuration and hands it to the store, the bot runner, the rate limiters, the ids and the
/// token checks, so that a test moves all of them at once.
///
/// Two readings, because they answer different questions: the wall clock stamps what is stored and
/// shown, cuts retention and judges a token's `exp` and `nbf`; the monotonic one measures rates
/// and never goes back when the wall clock is set. Sessions' deadlines are `NIODeadline`s, which
/// their event loop schedules on, and the watchdogs that bound a wait (a stalled writer, an
/// engine's timeout) sleep on the system's continuous clock: a test clock could not make a
/// socket answer sooner.
public struct GatewayClock: Sendable {
    private let wall: @Sendable () -> Timestamp
    private let monotonic: @Sendable () -> Int64

    /// - Parameters:
    ///   - wall: the time of day, in milliseconds since 1970.
    ///   - monotonic: nanoseconds on a clock that only moves forward; the system's when nil.
    public init(wall: @escaping @Sendable () -> Timestamp = Timestamp.now, monotonic: (@Sendable () -> Int64)? = nil) {
        self.wall = wall
        self.monotonic = monotonic ?? { Int64(clamping: NIODeadline.now().uptimeNanoseconds) }
    }

    public static let system = GatewayClock()

    /// The time of day.
    public func now() -> Timestamp { wall() }

    /// The time of day as Foundation's `Date` (for JWT claims).
    public func date() -> Date { Date(timeIntervalSince1970: Double(wall().milliseconds) / 1000) }

    /// Nanoseconds on the monotonic clock, for rates.
    public func nanoseconds() -> Int64 { monotonic() }
}
