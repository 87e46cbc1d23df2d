/// The model an architecture describes, after checking it is one we support.
package func makeModel(_ architecture: Architecture) throws -> any MultitaskModel {
    try architecture.validate()
    switch architecture.sharing {
    case .hard: return try HardSharingModel(architecture)
    case .soft: return try SoftSharingModel(architecture)
    }
}
