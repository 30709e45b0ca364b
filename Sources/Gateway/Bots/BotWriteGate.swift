public import GatewayProtocol

/// Holds writes made with a bot token to the rules the persona's own replies follow (PROTOCOL.md
/// section 8): a session identified as a persona writes as that persona, under its limits and
/// policy, so a token cannot do what the runner would refuse.
public protocol BotWriteGate: Sendable {
    /// The command as the persona may write it (with its AI label), or the protocol error saying
    /// which rule refuses it.
    func admit(_ command: WriteCommand, by bot: User) async throws(GatewayError) -> WriteCommand
}
