// ClassNames: finding a class label by name. A name matches a class when it equals (ignoring
// case, surrounding blanks and repeated blanks) the class's whole name or one of its
// comma-separated synonyms ("tabby cat" for "tabby, tabby cat"); a whole-name match wins over a
// synonym. Near misses get suggestions by edit distance.

/// The outcome of looking a class name up.
public enum ClassLookup: Sendable, Equatable {
    case found(Int)
    /// The name is a synonym of several classes (ImageNet has "crane" twice): give the label.
    case ambiguous([Int])
    /// No class has the name; `suggestions` are the labels of the nearest names, best first.
    case notFound(suggestions: [Int])
}

extension MaskGITModel {
    /// Looks up a class label by name (see the file comment for the rules).
    public func lookUpClass(_ name: String) -> ClassLookup {
        ClassNameIndex.lookUp(name, in: classNames)
    }
}

/// Name matching over a list of class names in label order.
public enum ClassNameIndex {
    static func normalized(_ s: some StringProtocol) -> String {
        s.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "_" }).joined(separator: " ")
    }

    static func synonyms(_ name: String) -> [String] {
        name.split(separator: ",").map(normalized).filter { !$0.isEmpty }
    }

    public static func lookUp(_ name: String, in classNames: [String]) -> ClassLookup {
        let wanted = normalized(name)
        let whole = classNames.indices.filter { normalized(classNames[$0]) == wanted }
        if whole.count == 1 { return .found(whole[0]) }
        if whole.count > 1 { return .ambiguous(whole) }
        let partial = classNames.indices.filter { synonyms(classNames[$0]).contains(wanted) }
        if partial.count == 1 { return .found(partial[0]) }
        if partial.count > 1 { return .ambiguous(partial) }
        return .notFound(suggestions: suggestions(for: wanted, in: classNames))
    }

    /// Labels of the classes whose synonyms come closest to `wanted` by edit distance (the best
    /// distance only, within half the name's length, at most three), else those with a synonym
    /// that has it as a word prefix.
    static func suggestions(for wanted: String, in classNames: [String]) -> [Int] {
        guard !wanted.isEmpty else { return [] }
        let limit = max(2, wanted.count / 2)
        var scored: [(label: Int, distance: Int)] = []
        for (label, name) in classNames.enumerated() {
            let forms = synonyms(name) + [normalized(name)]
            let d = forms.map { editDistance(wanted, $0, limit: limit) }.min() ?? Int.max
            if d <= limit { scored.append((label, d)) }
        }
        scored.sort { ($0.distance, $0.label) < ($1.distance, $1.label) }
        let best = scored.first?.distance
        var result = scored.prefix(3).filter { $0.distance == best }.map(\.label)
        if result.isEmpty {
            for (label, name) in classNames.enumerated() where !result.contains(label) {
                if synonyms(name).contains(where: { $0.hasPrefix(wanted) || $0.contains(" " + wanted) }) {
                    result.append(label)
                    if result.count == 3 { break }
                }
            }
        }
        return result
    }

    /// Levenshtein distance, or `limit + 1` once it must exceed `limit`.
    static func editDistance(_ a: String, _ b: String, limit: Int) -> Int {
        let a = Array(a), b = Array(b)
        if abs(a.count - b.count) > limit { return limit + 1 }
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMin = current[0]
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                rowMin = min(rowMin, current[j])
            }
            if rowMin > limit { return limit + 1 }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
