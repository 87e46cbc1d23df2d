/// Pearson's r of paired samples; nil with fewer than 3 pairs or a constant side.
package func pearson(_ x: [Double], _ y: [Double]) -> Double? {
    precondition(x.count == y.count)
    let n = Double(x.count)
    guard x.count >= 3 else { return nil }
    let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
    var sxy = 0.0, sxx = 0.0, syy = 0.0
    for i in x.indices {
        let dx = x[i] - mx, dy = y[i] - my
        sxy += dx * dy; sxx += dx * dx; syy += dy * dy
    }
    guard sxx > 0, syy > 0 else { return nil }
    return sxy / (sxx * syy).squareRoot()
}

/// Spearman's ρ: Pearson's r of the ranks, ties sharing their average rank.
package func spearman(_ x: [Double], _ y: [Double]) -> Double? {
    pearson(ranks(x), ranks(y))
}

/// 1-based ranks with ties averaged.
package func ranks(_ values: [Double]) -> [Double] {
    let order = values.indices.sorted { values[$0] < values[$1] }
    var result = [Double](repeating: 0, count: values.count)
    var start = 0
    while start < order.count {
        var end = start
        while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
        let rank = Double(start + end) / 2 + 1
        for i in start ... end { result[order[i]] = rank }
        start = end + 1
    }
    return result
}
