/// Where the entries of a per-example gradient go in its stored row: the
/// full parameter vector (P columns), or a task block (γ, θ_k) of W columns
/// with γ first, each row's θ_k shifted to follow it.
package struct GradientColumns: Sendable {
    /// Columns of a stored row.
    package let width: Int
    /// Parameters [0, sharedCount) keep their offsets.
    let sharedCount: Int
    /// (K) the offset of θ_k's first entry in the full vector, or nil for the full layout.
    let taskStarts: [Int]?

    /// Rows of P columns, entries at their parameter offsets.
    package static func dense(_ layout: ParameterLayout) -> GradientColumns {
        GradientColumns(width: layout.count, sharedCount: layout.count, taskStarts: nil)
    }

    /// Rows (γ, θ_k) of `width` columns, γ of `sharedCount` entries.
    package static func taskBlocks(sharedCount: Int, taskRanges: [Range<Int>], width: Int) -> GradientColumns {
        GradientColumns(width: width, sharedCount: sharedCount, taskStarts: taskRanges.map(\.lowerBound))
    }

    /// The column of parameter `offset` in a row of task `task`.
    @inline(__always)
    func column(_ offset: Int, task: Int) -> Int {
        guard let taskStarts, offset >= sharedCount else { return offset }
        return offset - taskStarts[task] + sharedCount
    }
}
