using System.Text.Json.Serialization;

namespace DeepSeek.Portal.Data;

/// <summary>Where a training run is in its life. Stored and sent as its name ("Running"), never as a number.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RunStatus>))]
public enum RunStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>The derived facts about a status and a run's progress, decided in one place.</summary>
public static class RunStatusFacts
{
    /// <summary>Queued or Running: the run still holds (or waits for) the engine and can be cancelled.</summary>
    public static bool IsActive(this RunStatus status) => status is RunStatus.Queued or RunStatus.Running;

    /// <summary>Percent of optimizer steps done, 0–100.</summary>
    public static double Percent(int currentStep, int totalSteps) =>
        totalSteps <= 0 ? 0 : Math.Clamp(100.0 * currentStep / totalSteps, 0, 100);
}
