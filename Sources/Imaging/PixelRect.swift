// MARK: - PixelRect

/// An axis-aligned rectangle in pixel coordinates (left/top inclusive).
public struct PixelRect: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Left edge (first column).
    public var x: Int
    /// Top edge (first row).
    public var y: Int
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int

    /// A rectangle with its top-left corner at (`x`, `y`).
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// True when the rectangle lies inside a `width` x `height` image.
    public func isInside(width imageWidth: Int, height imageHeight: Int) -> Bool {
        x >= 0 && y >= 0 && width >= 0 && height >= 0 && x + width <= imageWidth && y + height <= imageHeight
    }

    /// "(x, y) w x h".
    public var description: String { "(\(x), \(y)) \(width) x \(height)" }
}
