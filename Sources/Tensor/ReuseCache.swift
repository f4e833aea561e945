import Foundation

/// A few objects kept between calls so that their buffers are allocated once per shape
/// instead of on every call (fresh pages cost a page fault and a clear each, and training
/// repeats the same shapes step after step).
///
/// Safe to share between threads: a caller takes an object out, uses it alone, and puts
/// it back; a caller that finds none that fits makes its own.
public final class ReuseCache<Value: AnyObject>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Value] = []
    private let capacity: Int, maxBytes: Int

    /// A cache holding at most `capacity` objects (the most recently returned ones), each
    /// of at most `maxBytes` (larger ones are simply freed: reusing them saves little
    /// next to the work they serve, and keeping them would hold memory between uses).
    public init(capacity: Int = 2, maxBytes: Int = .max) {
        self.capacity = capacity
        self.maxBytes = maxBytes
    }

    /// Removes and returns a cached object for which `fits` holds, or nil.
    public func take(where fits: (Value) -> Bool) -> Value? {
        lock.lock(); defer { lock.unlock() }
        guard let i = values.firstIndex(where: fits) else { return nil }
        return values.remove(at: i)
    }

    /// Returns `value`, whose buffers take `bytes`, to the cache, dropping the oldest object
    /// when it is full.
    public func put(_ value: Value, bytes: Int) {
        guard bytes <= maxBytes else { return }
        lock.lock(); defer { lock.unlock() }
        values.append(value)
        if values.count > capacity { values.removeFirst() }
    }

    /// Drops every cached object (to release memory).
    public func removeAll() {
        lock.lock(); defer { lock.unlock() }
        values.removeAll()
    }
}
