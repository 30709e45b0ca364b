/// A set that forgets its oldest members past a capacity: memory of recent items that must not
/// grow with the life of the process.
struct BoundedSet<Element: Hashable & Sendable>: Sendable {
    private var members: Set<Element> = []
    private var order: [Element] = []
    private var start = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    func contains(_ element: Element) -> Bool { members.contains(element) }

    mutating func insert(_ element: Element) {
        guard members.insert(element).inserted else { return }
        order.append(element)
        while members.count > capacity {
            members.remove(order[start])
            start += 1
        }
        // Drop the forgotten prefix now and then instead of shifting on every insert.
        if start > capacity {
            order.removeFirst(start)
            start = 0
        }
    }

    mutating func remove(_ element: Element) {
        members.remove(element)
    }
}
