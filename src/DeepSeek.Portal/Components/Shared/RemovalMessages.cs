using DeepSeek.Portal.Datasets;
using DeepSeek.Portal.Training;
using Microsoft.Extensions.Localization;
using MudBlazor;

namespace DeepSeek.Portal.Components.Shared;

/// <summary>Tells the user, in their language, what a delete request did.</summary>
public static class RemovalMessages
{
    public static void Show(ISnackbar snackbar, IStringLocalizer localizer, DatasetRemoval outcome, string name) =>
        Show(snackbar, localizer, name, outcome switch
        {
            DatasetRemoval.Deleted => ("Removed_Deleted", Severity.Success),
            DatasetRemoval.Archived => ("Removed_Archived", Severity.Info),
            _ => ("Removed_NotFound", Severity.Warning),
        });

    public static void Show(ISnackbar snackbar, IStringLocalizer localizer, RunRemoval outcome, string name) =>
        Show(snackbar, localizer, name, outcome switch
        {
            RunRemoval.Deleted => ("Removed_Deleted", Severity.Success),
            RunRemoval.Active => ("Removed_RunActive", Severity.Warning),
            _ => ("Removed_NotFound", Severity.Warning),
        });

    private static void Show(ISnackbar snackbar, IStringLocalizer localizer, string name, (string Key, Severity Severity) message) =>
        snackbar.Add(localizer[message.Key, name], message.Severity);
}
