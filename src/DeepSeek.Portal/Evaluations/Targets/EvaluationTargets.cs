using DeepSeek.Portal.Evaluation.Runners;
using DeepSeek.Portal.Evaluations.Endpoints;
using DeepSeek.Portal.Models.Generation;

namespace DeepSeek.Portal.Evaluations.Targets;

/// <summary>
/// Makes the target of an OpenAI-compatible endpoint. The runner library's <c>OpenAiCompatibleTarget</c> implements
/// the wire protocol; this seam keeps the job independent of its constructor.
/// </summary>
public interface IEndpointTargets
{
    /// <summary>The target for the endpoint, with its decrypted key (null: no key); disposed by the caller when it is <see cref="IDisposable"/>.</summary>
    IEvaluationTarget Create(EvaluationEndpoint endpoint, string? apiKey, string label);
}

/// <summary>Opens the target an evaluation row names, or says (as a <see cref="TargetException"/>) why it cannot be used.</summary>
public sealed class EvaluationTargets(GenerationSources sources, EndpointRegistry endpoints, IEndpointTargets endpointTargets, ILogger<EvaluationTargets> logger)
{
    public async Task<IEvaluationTarget> OpenAsync(EvaluationRun evaluation, CancellationToken ct)
    {
        switch (evaluation.TargetKind)
        {
            case EvaluationTargetKind.Run:
            {
                var (source, problem) = await sources.ForRunAsync(evaluation.TargetRunId ?? 0, ct);
                return source is null
                    ? throw new TargetException(FailureKind.NotSupported, RunProblem(evaluation.TargetRunId ?? 0, problem))
                    : await EngineTarget.OpenAsync(source, evaluation.TargetLabel, logger, ct);
            }
            case EvaluationTargetKind.Model:
            {
                GenerationSource? source;
                try { source = await sources.ForModelAsync(evaluation.TargetModelId ?? 0, ct); }
                catch (Exception e) when (e is Models.ModelFolderException or IOException or UnauthorizedAccessException)
                {
                    throw new TargetException(FailureKind.NotSupported, $"The model's folder cannot be used: {e.Message}", e);
                }
                return source is null
                    ? throw new TargetException(FailureKind.NotSupported, $"Model {evaluation.TargetModelId} is no longer registered.")
                    : await EngineTarget.OpenAsync(source, evaluation.TargetLabel, logger, ct);
            }
            default:
            {
                (EvaluationEndpoint Endpoint, string? Key)? found;
                try
                {
                    found = await endpoints.ForCallAsync(evaluation.TargetEndpointId ?? 0, ct);
                }
                catch (InvalidOperationException e)
                {
                    // A stored key the data-protection keys can no longer decrypt: the evaluation fails and says so.
                    throw new TargetException(FailureKind.NotSupported, e.Message, e);
                }
                var (endpoint, key) = found
                    ?? throw new TargetException(FailureKind.NotSupported, $"Endpoint {evaluation.TargetEndpointId} no longer exists.");
                return endpointTargets.Create(endpoint, key, evaluation.TargetLabel);
            }
        }
    }

    public static string RunProblem(int runId, RunSourceProblem problem) => problem switch
    {
        RunSourceProblem.NotFound => $"Run {runId} does not exist.",
        RunSourceProblem.NotSucceeded => $"Run {runId} has not succeeded; only a succeeded run's last checkpoint can be evaluated.",
        RunSourceProblem.NoCheckpoint => $"Run {runId} has no complete checkpoint in its folder.",
        _ => $"Run {runId} cannot be evaluated.",
    };
}
