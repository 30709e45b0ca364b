/// Whether `condition` comes to hold within `timeout`, asked every 100 ms: what a running server
/// does a moment after a request (a decision logged, a metric moved, a session gone), later on a
/// loaded machine. The one poll of the tests; a fixed sleep is only for time itself to pass.
func eventually(_ timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(100))
    }
}
