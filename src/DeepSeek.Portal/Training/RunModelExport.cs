using System.ComponentModel;
using System.Globalization;
using System.Text;
using DeepSeek.Portal.Data;
using DeepSeek.Portal.Engine.Training;
using DeepSeek.Portal.Models;
using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Training;

/// <summary>Saves a finished run as a registered model.</summary>
/// <param name="Name">The model's name (unique among registered models, at most 200 characters).</param>
public sealed record RunExportRequest([property: Description("Name of the new model; unique among registered models, at most 200 characters.")] string? Name);

/// <summary>The model a run was saved as, or why it was not: an HTTP status, a stable code and a message.</summary>
public sealed record RunExportOutcome(ModelSummary? Model, int Status, string? Code, string? Message)
{
    public bool Succeeded => Model is not null;

    public static RunExportOutcome Fail(int status, string code, string message) => new(null, status, code, message);
}

/// <summary>
/// "Save as model": writes a finished run's latest checkpoint as a Hugging Face folder (a LoRA run's adapter merged
/// into the base weights; <see cref="RunExport"/>) into the portal's own models folder
/// (<see cref="DataPaths.Models"/>, always a model root) and registers it, so it is listed on /models with its card
/// and can generate. Nothing is left behind when a step fails: the folder appears only complete, and is removed again
/// when registration is refused.
/// </summary>
public sealed class RunModelExport(PortalDbContext db, ModelService models, ModelRoots roots, DataPaths paths, ILogger<RunModelExport> logger)
{
    public const string NotFound = "run_not_found";
    public const string RunNotFinished = "run_not_finished";
    public const string NameRequired = "name_required";
    public const string NameTooLong = "name_too_long";
    public const string NameTaken = "name_taken";
    public const string NoCheckpoint = "no_checkpoint";

    public async Task<RunExportOutcome> ExportAsync(int runId, RunExportRequest request, string? user, CancellationToken ct)
    {
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, ct);
        if (run is null)
            return RunExportOutcome.Fail(StatusCodes.Status404NotFound, NotFound, $"Run {runId} does not exist.");
        if (run.Status != RunStatus.Succeeded)
            return RunExportOutcome.Fail(StatusCodes.Status409Conflict, RunNotFinished, $"Run {runId} is {run.Status}; only a run that finished successfully can be saved as a model.");
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Any(char.IsControl))
            return RunExportOutcome.Fail(StatusCodes.Status400BadRequest, NameRequired, "Name: give the model a name (letters, digits, spaces and punctuation; no control characters).");
        if (name.Length > 200)
            return RunExportOutcome.Fail(StatusCodes.Status400BadRequest, NameTooLong, $"Name: at most 200 characters (was {name.Length}).");
        if (await db.Models.AnyAsync(m => m.Name == name, ct))
            return RunExportOutcome.Fail(StatusCodes.Status409Conflict, NameTaken, $"Name: a model named \"{name}\" is already registered; choose another name.");
        var runFolder = paths.RunDirectory(runId);
        if (!Directory.Exists(runFolder) || !Directory.EnumerateDirectories(runFolder, "checkpoint-*").Any())
            return RunExportOutcome.Fail(StatusCodes.Status409Conflict, NoCheckpoint, $"Run {runId} has no checkpoint on this server to save.");

        var folder = Path.Combine(roots.PortalOwned, FolderName(name, runId));
        RunExportResult result;
        try
        {
            // Loading, merging and writing the weights is CPU and disk work: off the request thread.
            result = await Task.Run(() => RunExport.Export(runFolder, folder), ct);
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or IOException)
        {
            logger.LogWarning(e, "Run {RunId} could not be saved as a model", runId);
            return RunExportOutcome.Fail(StatusCodes.Status409Conflict, NoCheckpoint, $"Run {runId} could not be saved as a model: {e.Message}");
        }
        var registration = await models.RegisterAsync(new RegisterModelRequest(result.Folder, name), user, CancellationToken.None);
        if (registration.Succeeded)
        {
            logger.LogInformation("Run {RunId} (step {Step}, LoRA merged: {Merged}) saved as model {ModelId} in {Folder}", runId, result.Step, result.MergedLora, registration.Model!.Id, result.Folder);
            return new RunExportOutcome(registration.Model, StatusCodes.Status201Created, null, null);
        }
        Directory.Delete(result.Folder, recursive: true);
        return registration.NameTaken
            ? RunExportOutcome.Fail(StatusCodes.Status409Conflict, NameTaken, $"Name: a model named \"{name}\" was registered meanwhile; choose another name.")
            : RunExportOutcome.Fail(StatusCodes.Status500InternalServerError, registration.Problem!.Code, registration.Problem.Message);
    }

    /// <summary>A folder name from the model's name (ASCII letters, digits, '-', '_' and '.'), the run and a random suffix, so two exports never collide.</summary>
    internal static string FolderName(string name, int runId)
    {
        var slug = new StringBuilder();
        foreach (var c in name)
            slug.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-');
        var text = slug.ToString().Trim('-', '.');
        if (text.Length > 60) text = text[..60];
        if (text.Length == 0) text = "model";
        return string.Create(CultureInfo.InvariantCulture, $"{text}-run{runId}-{Guid.NewGuid().ToString("N")[..8]}");
    }
}
