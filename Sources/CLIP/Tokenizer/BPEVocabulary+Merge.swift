// MARK: - BPE merging

extension BPEVocabulary {
    /// SimpleTokenizer's `bpe()` on one pre-token, given as UTF-8 bytes, returning ids.
    ///
    /// The word starts as one symbol per byte with `</w>` on the last; then, while any
    /// adjacent pair has a merge, the pair with the lowest rank is merged at every occurrence,
    /// scanning left to right without overlap.
    func merge(_ bytes: [UInt8]) -> [Int32] {
        guard let last = bytes.last else { return [] }
        var word = bytes.dropLast().map { byteSymbol[Int($0)] }
        word.append(byteSymbolEnd[Int(last)])
        var next: [Int32] = []
        next.reserveCapacity(word.count)
        while word.count > 1 {
            var best: Merge?
            var bestLeft: Int32 = 0
            var bestRight: Int32 = 0
            for i in 0..<(word.count - 1) {
                if let merge = merges[Self.pairKey(word[i], word[i + 1])], merge.rank < (best?.rank ?? .max) {
                    best = merge
                    bestLeft = word[i]
                    bestRight = word[i + 1]
                }
            }
            guard let best else { break }
            next.removeAll(keepingCapacity: true)
            var i = 0
            while i < word.count {
                if i + 1 < word.count && word[i] == bestLeft && word[i + 1] == bestRight {
                    next.append(best.result)
                    i += 2
                } else {
                    next.append(word[i])
                    i += 1
                }
            }
            swap(&word, &next)
        }
        return word
    }

    /// The `merges` key of an adjacent pair.
    static func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
        (UInt64(UInt32(bitPattern: left)) << 32) | UInt64(UInt32(bitPattern: right))
    }
}
