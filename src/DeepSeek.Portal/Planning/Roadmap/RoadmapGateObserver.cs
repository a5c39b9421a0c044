using DeepSeek.Portal.Evaluations;

namespace DeepSeek.Portal.Planning.Roadmap;

/// <summary>
/// Re-checks the roadmap's KPI gates whenever an evaluation finishes with figures, so a gate turns green (or red) as
/// soon as the evaluation that decides it is stored. All gates are re-checked, not only those of this evaluation's
/// metrics: the check is cheap (one indexed query per gate) and it also settles gates an earlier failure left behind.
/// </summary>
public sealed class RoadmapGateObserver(IServiceScopeFactory scopes) : IEvaluationFinishedObserver
{
    public async Task EvaluationFinishedAsync(int evaluationId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IRoadmapService>().RefreshGatesAsync(ct);
    }
}
