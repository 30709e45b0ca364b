#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A plain TCP socket to the test server, for clients that misbehave below HTTP: half a request
/// and then silence. Reads block, so they run on a thread of their own.
final class RawSocket {
    private let descriptor: Int32

    /// `receiveBuffer` shrinks the kernel's buffer before connecting, for a client that reads slowly.
    init(port: Int, receiveBuffer: Int32? = nil) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer { setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestClientError(description: "connect failed: \(errno)") }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ text: String) {
        send(Array(text.utf8))
    }

    /// Ends this side of the connection (a FIN), keeping it open for reading.
    func shutdownWrite() {
        shutdown(descriptor, Int32(SHUT_WR))
    }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// A client's masked frame (RFC 6455 section 5.2), text unless `opcode` says otherwise.
    func sendFrame(_ payload: [UInt8], opcode: UInt8 = 0x1) {
        let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        var frame: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        send(frame + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
    }

    /// What the server sent within a second: bytes, nil when it closed the connection, or empty
    /// when it sent nothing and kept it open.
    func read() async -> [UInt8]? {
        await onThreadOfItsOwn { [descriptor] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count == 0 { return nil }
            if count < 0 { return errno == EAGAIN || errno == EWOULDBLOCK ? [] : nil }
            return Array(buffer[..<count])
        }
    }

    /// Everything the server sends until it closes the connection, for at most `timeout`;
    /// `closed` is false when it kept the connection open that long.
    func readUntilClosed(within timeout: Duration = .seconds(15)) async -> (text: String, closed: Bool) {
        let deadline = ContinuousClock.now + timeout
        var bytes: [UInt8] = []
        while ContinuousClock.now < deadline {
            guard let more = await read() else { return (String(decoding: bytes, as: UTF8.self), true) }
            bytes += more
        }
        return (String(decoding: bytes, as: UTF8.self), false)
    }

    deinit { close(descriptor) }

    /// A loopback port that was free a moment ago and has nothing listening on it now.
    static func closedPort() throws -> Int {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(probe, pointer, length) == 0 && getsockname(probe, pointer, &length) == 0
            }
        }
        guard bound else { throw TestClientError(description: "no free port: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
