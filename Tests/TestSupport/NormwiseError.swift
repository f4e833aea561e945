// MARK: - Relative error

/// The normwise relative error of `a` against the reference `b`: max|a - b| / max|b|,
/// computed in Double.
///
/// When `b` is all zeros the absolute error max|a - b| is returned. An empty reference or
/// a count mismatch gives NaN, so that any `<` or `==` comparison fails (a missing fixture
/// tensor must not pass).
public func normwiseError<A: Sequence, B: Sequence>(_ a: A, _ b: B) -> Double
where A.Element: BinaryFloatingPoint, B.Element: BinaryFloatingPoint {
    var num = 0.0, den = 0.0, count = 0
    var bs = b.makeIterator()
    for x in a {
        guard let y = bs.next() else { return .nan }
        num = max(num, abs(Double(x) - Double(y)))
        den = max(den, abs(Double(y)))
        count += 1
    }
    guard bs.next() == nil, count > 0 else { return .nan }
    return den == 0 ? num : num / den
}
