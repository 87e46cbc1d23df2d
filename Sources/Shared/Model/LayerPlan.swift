/// How a chunk of a batch's rows flows through a layered model, depth by
/// depth. Rows are sorted by task, so at each depth the rows of consecutive
/// tasks that share a layer form one segment, and one matrix product serves
/// the whole segment: under hard sharing the trunk runs over every row of the
/// chunk at once and only the heads split by task.
///
/// Buffers of depth l hold the segments' rows one after the other, each row
/// O_l wide; with R directions (the R-op), each row holds R consecutive
/// O_l-wide vectors, (n, R, O_l) row-major. Every depth but the last has one
/// width for all tasks, so a layer's input rows are found by row index.
struct LayerPlan {
    struct Segment {
        /// The layer every row of the segment passes through at this depth.
        var layer: DenseLayer
        /// Rows of the chunk (0-based within the chunk).
        var rows: Range<Int>
        /// Offset of the segment's first row in this depth's buffers, per direction.
        var offset: Int
    }

    /// n, rows in the chunk.
    let rows: Int
    /// (depth) the segments of each depth, in row order, covering every row.
    let segments: [[Segment]]
    /// (depth) entries of each depth's buffers per direction: Σ rows·O_l.
    let sizes: [Int]
    /// (depth) the input width I_l of each depth (uniform: D, then the widths of the hidden depths).
    let inputWidths: [Int]

    var depth: Int { segments.count }

    /// The plan for rows `range` of a batch whose task blocks are `taskRanges`.
    init(networks: [[DenseLayer]], taskRanges: [Range<Int>], range: Range<Int>, features: Int) {
        let depth = networks.first?.count ?? 0
        precondition(networks.allSatisfy { $0.count == depth }, "every task's network must have the same depth")
        rows = range.count
        var segments: [[Segment]] = []
        var sizes: [Int] = []
        var inputWidths: [Int] = []
        for l in 0 ..< depth {
            var level: [Segment] = []
            for (k, block) in taskRanges.enumerated() {
                let clipped = block.clamped(to: range)
                guard !clipped.isEmpty else { continue }
                let local = (clipped.lowerBound - range.lowerBound) ..< (clipped.upperBound - range.lowerBound)
                let layer = networks[k][l]
                if let last = level.last, last.layer == layer, last.rows.upperBound == local.lowerBound {
                    level[level.count - 1].rows = last.rows.lowerBound ..< local.upperBound
                } else {
                    level.append(Segment(layer: layer, rows: local, offset: 0))
                }
            }
            var offset = 0
            for s in level.indices {
                level[s].offset = offset
                offset += level[s].rows.count * level[s].layer.outputs
            }
            let width = l == 0 ? features : segments[l - 1].first?.layer.outputs ?? 0
            precondition(
                level.allSatisfy { $0.layer.inputs == width }
                    && (l == 0 || segments[l - 1].allSatisfy { $0.layer.outputs == width }),
                "layers at depth \(l) must share one input width")
            segments.append(level)
            sizes.append(offset)
            inputWidths.append(width)
        }
        self.segments = segments
        self.sizes = sizes
        self.inputWidths = inputWidths
    }
}

/// One chunk's forward pass, kept for the backward passes. The buffers belong
/// to the Scratch that made them.
struct Trace {
    let plan: LayerPlan
    /// (n, D) the chunk's rows of batch.x.
    let x: UnsafePointer<Double>
    /// Per depth, pre-activations z_l in the plan's layout.
    var z: [UnsafeMutablePointer<Double>] = []
    /// Per depth, activations a_l = φ(z_l) in the plan's layout.
    var a: [UnsafeMutablePointer<Double>] = []

    /// (rows, I_l) the input rows of a segment at depth l.
    func input(_ l: Int, _ segment: LayerPlan.Segment) -> UnsafePointer<Double> {
        let base = l == 0 ? x : UnsafePointer(a[l - 1])
        return base + segment.rows.lowerBound * plan.inputWidths[l]
    }
}
