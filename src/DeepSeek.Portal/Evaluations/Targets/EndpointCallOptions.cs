using System.ComponentModel.DataAnnotations;

namespace DeepSeek.Portal.Evaluations.Targets;

/// <summary>
/// How endpoint evaluations retry (section <c>Portal:Evaluations</c>): attempts after the first for a timeout, 429,
/// 5xx or network error, and the exponential back-off between them (doubled per attempt, capped; a server's
/// <c>Retry-After</c> is honoured up to the cap). The per-endpoint timeout is on the endpoint itself.
/// </summary>
public sealed class EndpointCallOptions
{
    public const string Section = "Portal:Evaluations";

    [Range(0, 10)]
    public int MaxRetries { get; set; } = 4;

    [Range(0, 60_000)]
    public int BackoffBaseMilliseconds { get; set; } = 500;

    [Range(0, 600_000)]
    public int BackoffCapMilliseconds { get; set; } = 30_000;
}
