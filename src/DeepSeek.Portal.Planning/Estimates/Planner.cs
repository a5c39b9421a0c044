using DeepSeek.Portal.Planning.Catalogue;

namespace DeepSeek.Portal.Planning.Estimates;

/// <summary>Computes a <see cref="Plan"/>: the memory breakdown with formulas, devices, parallelism and decode rate.</summary>
public static class Planner
{
    /// <summary>
    /// Plans <paramref name="request"/> for <paramref name="model"/> on <paramref name="gpu"/>. Throws
    /// <see cref="PlanValidationException"/> for impossible requests (context beyond the model's maximum, zero GPUs, a
    /// precision the family or device cannot use, …), each error on its field.
    /// </summary>
    public static Plan Compute(PlanRequest request, ModelArchitecture model, GpuSpec gpu) => throw new NotImplementedException("contract: filled by the planner core");

    /// <summary>The seed document's hardware statements, each checked by computation.</summary>
    public static IReadOnlyList<ClaimVerdict> SeedClaims() => throw new NotImplementedException("contract: filled by the planner core");
}
