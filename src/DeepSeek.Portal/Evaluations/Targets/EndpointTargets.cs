using DeepSeek.Portal.Evaluation.Runners;

namespace DeepSeek.Portal.Evaluations.Targets;

/// <summary>
/// The endpoint targets of this build. The OpenAI-compatible client lives in the runner library
/// (<c>DeepSeek.Portal.Evaluation.Runners</c>); until it is part of the build, an endpoint evaluation fails with this
/// message rather than a score that was never computed. Registered through <see cref="IEndpointTargets"/>, so wiring
/// the client in is a one-line change in <see cref="EvaluationsFeature"/>.
/// </summary>
public sealed class UnavailableEndpointTargets : IEndpointTargets
{
    public IEvaluationTarget Create(EvaluationEndpoint endpoint, string? apiKey, string label) =>
        throw new TargetException(FailureKind.NotSupported, "This build of the portal cannot call OpenAI-compatible endpoints yet.");
}
