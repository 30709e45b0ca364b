import Foundation

/// Runs `body` `iterations` times per round for several rounds and prints the median cost per
/// operation (and the fastest round): the machine is noisy, so medians, compared within one run.
public func measure(_ name: String, iterations: Int, rounds: Int = 7, _ body: (Int) -> Int) {
    var perOperation: [Double] = []
    var sink = 0
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        for index in 0..<iterations { sink &+= body(index) }
        perOperation.append(nanoseconds(ContinuousClock.now - start) / Double(iterations))
    }
    perOperation.sort()
    // The sink keeps the optimizer from dropping the work.
    print("\(label(name)) \(String(format: "%10.1f", perOperation[perOperation.count / 2])) ns/op   (min \(String(format: "%.1f", perOperation[0])), sink \(sink & 1))")
}

public func nanoseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
}

/// A name padded to one column, so results line up.
public func label(_ name: String) -> String {
    name.padding(toLength: 52, withPad: " ", startingAt: 0)
}
