/// Building a parameter layout layer by layer, and initial values for it.

/// Appends `<prefix>.weight` (O, I) and `<prefix>.bias` (O) to the layout and
/// returns the layer that reads them.
func appendDense(
    _ tensors: inout [ParameterTensor], prefix: String, inputs: Int, outputs: Int, activation: Activation
) -> DenseLayer {
    let start = tensors.last?.range.upperBound ?? 0
    let weight = ParameterTensor(name: prefix + ".weight", shape: [outputs, inputs], offset: start)
    let bias = ParameterTensor(name: prefix + ".bias", shape: [outputs], offset: weight.range.upperBound)
    tensors.append(weight)
    tensors.append(bias)
    return DenseLayer(weight: weight.offset, bias: bias.offset, inputs: inputs, outputs: outputs, activation: activation)
}

/// Initial values of one tensor: weights N(0, 1/fan_in) (LeCun normal) from their
/// own SplitMix64 stream, biases zero.
func fillInitial(_ w: inout [Double], _ tensor: ParameterTensor, seed: UInt64, stream: UInt64) {
    guard tensor.shape.count == 2 else { return }
    let scale = (1 / Double(tensor.shape[1])).squareRoot()
    var rng = SplitMix64(seed: seed, stream: stream)
    for i in tensor.range { w[i] = scale * rng.normal() }
}
