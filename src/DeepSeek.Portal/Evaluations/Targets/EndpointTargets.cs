using DeepSeek.Portal.Evaluation.Runners;
using Microsoft.Extensions.Options;

namespace DeepSeek.Portal.Evaluations.Targets;

/// <summary>
/// Endpoint targets: the runner library's OpenAI-compatible client with the endpoint's stored timeout and the decrypted
/// key (held by the target only for the request header; never in its messages, label or cache identity). Each
/// evaluation gets its own client, disposed by the job when the evaluation ends. Retries and back-off come from
/// <see cref="EndpointCallOptions"/>.
/// </summary>
public sealed class OpenAiEndpointTargets(IOptions<EndpointCallOptions> options) : IEndpointTargets
{
    public IEvaluationTarget Create(EvaluationEndpoint endpoint, string? apiKey, string label)
    {
        if (!Uri.TryCreate(endpoint.BaseUrl, UriKind.Absolute, out var baseUrl))
            throw new TargetException(FailureKind.InvalidItem, $"The endpoint '{endpoint.Name}' has no usable base URL.");
        return new OpenAiCompatibleTarget(new OpenAiCompatibleOptions
        {
            BaseUrl = baseUrl,
            Model = endpoint.Model,
            ApiKey = string.IsNullOrEmpty(apiKey) ? null : apiKey,
            Label = label,
            Timeout = TimeSpan.FromSeconds(Math.Clamp(endpoint.TimeoutSeconds, 1, 3600)),
            MaxRetries = options.Value.MaxRetries,
            BackoffBase = TimeSpan.FromMilliseconds(options.Value.BackoffBaseMilliseconds),
            BackoffCap = TimeSpan.FromMilliseconds(options.Value.BackoffCapMilliseconds),
        });
    }
}
