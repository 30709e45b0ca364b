import Testing
@testable import GatewayProtocol

/// The catalogue of closes alone: every code the server closes with has its reasons here, and
/// every fixed reason fits a close frame whole.
@Suite("Close catalogue")
struct SessionCloseTests {
    static let fixed: [SessionClose] = [
        .frameTooBig(limit: 1 << 20), .messageTooBig(limit: 1 << 20), .invalidControlFrame, .unmaskedFrame, .reservedBits,
        .compressedWithoutDeflate, .binaryFrame, .interleavedMessage, .orphanContinuation, .unknownOpcode, .notInflatable, .invalidUTF8,
        .identifyFirst, .onlyIdentifyBeforeReady, .alreadyIdentified, .anonymousRefused, .tokenExpired, .closedByAdmin, .inboundFlood,
        .floodBeforeReady, .identifyTimeout(milliseconds: 10_000), .heartbeatTimeout(milliseconds: 60_000), .eventsMissed, .historyPruned,
        .stoppedReadingDuringCatchUp, .outboundOverflow, .draining, .storeUnreadable, .nodeMissedEvents,
    ]

    @Test("every close code but 1000 and 1011 has a reason in the catalogue, and each fixed reason fits a close frame")
    func catalogue() {
        let used = Set(Self.fixed.map(\.code) + [SessionClose.notJSONObject("x").code, SessionClose.authenticationFailed("x").code])
        #expect(used == Set(CloseCode.allCases).subtracting([.normal, .internalError]))
        for close in Self.fixed {
            #expect(close.reason.utf8.count <= 123, "\(close) is cut short in its close frame")
            #expect(!close.reason.isEmpty)
        }
        #expect(SessionClose.draining.code.rawValue == 4011 && SessionClose.outboundOverflow.code.rawValue == 4010)
    }
}
