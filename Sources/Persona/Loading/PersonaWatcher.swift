import Foundation
import Synchronization

/// Watches a personas directory and hands over the new valid set of personas when a file is
/// changed, added or removed. A file that no longer validates keeps the last good version of its
/// persona running, and its errors are reported with the set.
///
/// It polls (every `interval`, 500 ms by default) rather than use inotify: portable, cheap for a
/// directory of a few dozen files, and a change is seen well within the 2 s promised to authors.
public final class PersonaWatcher: Sendable {
    /// What the gateway runs with: the usable personas, and the problems of the files on disk.
    public struct Snapshot: Sendable {
        public var personas: [String: Persona]
        public var catalog: PersonaCatalog
        /// For a persona kept from its last good version: the error that stopped the new one.
        public var staleErrors: [String: [Diagnostic]]
    }

    private let directory: String
    private let engineAccess: EngineAccess
    private let interval: Duration
    private let state: Mutex<(stamp: [String: String], snapshot: Snapshot)>

    public init(directory: String, engineAccess: EngineAccess = EngineAccess(), interval: Duration = .milliseconds(500)) {
        self.directory = directory
        self.engineAccess = engineAccess
        self.interval = interval
        let catalog = PersonaCatalog.load(directory: directory, engineAccess: engineAccess)
        let snapshot = Snapshot(personas: catalog.personas, catalog: catalog, staleErrors: [:])
        state = Mutex((PersonaDirectory.stamp(of: directory), snapshot))
    }

    public var current: Snapshot { state.withLock { $0.snapshot } }

    /// Checks once; returns the new snapshot when something changed.
    public func poll() -> Snapshot? {
        let stamp = PersonaDirectory.stamp(of: directory)
        guard stamp != state.withLock({ $0.stamp }) else { return nil }
        let catalog = PersonaCatalog.load(directory: directory, engineAccess: engineAccess)
        return state.withLock { state -> Snapshot in
            var personas = catalog.personas
            var stale: [String: [Diagnostic]] = [:]
            // A persona whose file is now invalid keeps its last good version.
            for (path, id) in catalog.failedIDs where personas[id] == nil {
                if let previous = state.snapshot.personas[id] {
                    personas[id] = previous
                    stale[id] = catalog.diagnostics[path] ?? []
                }
            }
            // Broken situation rules keep the last good ones: bots that cannot read the room
            // would fall silent everywhere.
            var catalog = catalog
            if catalog.situations.isEmpty && !state.snapshot.catalog.situations.isEmpty { catalog.situations = state.snapshot.catalog.situations }
            state.stamp = stamp
            state.snapshot = Snapshot(personas: personas, catalog: catalog, staleErrors: stale)
            return state.snapshot
        }
    }

    /// Polls until the task is cancelled, calling `onChange` with each new snapshot.
    public func run(onChange: @Sendable (Snapshot) async -> Void) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if let snapshot = poll() { await onChange(snapshot) }
        }
    }
}
