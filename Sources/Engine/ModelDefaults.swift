// ModelDefaults: the decoding and editing defaults a model is served with when a request does
// not set them. The official checkpoints get the official code's values (inference.py:
// `generate_samples(num_iterations=16)`, editing `start_iter=2, num_iterations=12`, the
// official class-editing composite and token mask, and the JAX sampler's random numbers);
// the project's own models keep the project's choices (12 steps, its own random streams, the
// byte-exact composites). `models.list` reports them per model.

import Editing

/// The defaults of one model.
public struct ModelDefaults: Sendable, Hashable {
    /// Which set of defaults: the official code's or the project's.
    public enum Profile: String, Sendable, Hashable, CaseIterable {
        /// Official checkpoints (Flax msgpack transformer without a null class).
        case official
        /// The project's own models (safetensors with the project's metadata).
        case project
    }

    public var profile: Profile
    public var generate: DecodingOptions
    public var inpaint: DecodingOptions
    public var outpaint: DecodingOptions
    public var classEdit: DecodingOptions
    public var classEditComposite: CompositeRegion
    public var classEditPolicy: TokenMaskPolicy
    public var inpaintComposite: CompositeRegion
    public var inpaintPolicy: TokenMaskPolicy

    /// The official code: generation 16 iterations, class editing start 2 of 12, cosine, τ 4.5,
    /// `rng: "jax"`, the official composite and latent mask for class edits. Inpaint and outpaint
    /// (not in the released code) use 12 steps and the byte-exact mask composite.
    public static let official = ModelDefaults(
        profile: .official,
        generate: DecodingOptions(steps: 16, random: .jax(.partitionable)),
        inpaint: DecodingOptions(steps: 12, random: .jax(.partitionable)),
        outpaint: DecodingOptions(steps: 12, random: .jax(.partitionable)),
        classEdit: DecodingOptions(steps: 12, startStep: 2, random: .jax(.partitionable)),
        classEditComposite: .official, classEditPolicy: .official,
        inpaintComposite: .mask, inpaintPolicy: .anyOverlap)

    /// The project's choices: 12 steps everywhere (class editing start 2 of 12), the project's
    /// random streams, the byte-exact composites.
    public static let project = ModelDefaults(
        profile: .project,
        generate: DecodingOptions(steps: 12),
        inpaint: DecodingOptions(steps: 12),
        outpaint: DecodingOptions(steps: 12),
        classEdit: DecodingOptions(steps: 12, startStep: 2),
        classEditComposite: .tokens, classEditPolicy: .officialBoundingBox,
        inpaintComposite: .mask, inpaintPolicy: .anyOverlap)

    public static func profile(_ p: Profile) -> ModelDefaults { p == .official ? .official : .project }
}
