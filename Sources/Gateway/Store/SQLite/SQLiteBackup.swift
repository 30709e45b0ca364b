import Foundation
import GRDB
import GatewayProtocol

/// A consistent copy of a gateway's database while it runs (`gatewayd backup`): SQLite's
/// online backup reads one snapshot of the WAL database, so writers keep going meanwhile.
public enum SQLiteBackup {
    public struct Report: Sendable {
        public var pages: Int
        public var bytes: Int64
    }

    /// Copies `dataDirectory/gatewayd.sqlite` into a new file at `destination`.
    public static func copy(dataDirectory: String, to destination: String) throws -> Report {
        let source = (dataDirectory as NSString).appendingPathComponent("gatewayd.sqlite")
        guard FileManager.default.fileExists(atPath: source) else {
            throw BackupError(description: "there is no database at \(source)")
        }
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw BackupError(description: "\(destination) exists already; name a new file")
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        let reader = try DatabasePool(path: source, configuration: configuration)
        let copy = try DatabaseQueue(path: destination)
        var pages = 0
        try reader.backup(to: copy) { progress in pages = progress.totalPageCount }
        try copy.close()
        let bytes = (try? FileManager.default.attributesOfItem(atPath: destination)[.size] as? Int64) ?? 0
        return Report(pages: pages, bytes: bytes)
    }

    /// Puts a backup in place as the data directory's database, under a new epoch: offsets
    /// after a restore may repeat ones clients saw before it, and a new epoch tells them to
    /// reload their snapshots instead of resuming (PROTOCOL.md section 4). The data directory
    /// must not have a database (move the old one away with the gateway stopped).
    public static func restore(from backup: String, dataDirectory: String) throws -> String {
        let destination = (dataDirectory as NSString).appendingPathComponent("gatewayd.sqlite")
        guard FileManager.default.fileExists(atPath: backup) else { throw BackupError(description: "there is no backup at \(backup)") }
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw BackupError(description: "\(destination) exists; stop the gateway and move gatewayd.sqlite, -wal and -shm away first")
        }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.readonly = true
        let source = try DatabaseQueue(path: backup, configuration: configuration)
        let target = try DatabasePool(path: destination)
        try source.backup(to: target)
        let epoch = IDGenerator.random("e")
        try target.write { db in try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'epoch'", arguments: [epoch]) }
        try target.close()
        return epoch
    }

    public struct BackupError: Error, CustomStringConvertible {
        public var description: String
    }
}
