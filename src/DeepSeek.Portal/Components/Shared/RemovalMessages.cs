using DeepSeek.Portal.Platform;
using Microsoft.Extensions.Localization;
using MudBlazor;

namespace DeepSeek.Portal.Components.Shared;

/// <summary>Tells the user, in their language, what a delete request did (<paramref name="refusedKey"/> says why one was refused).</summary>
public static class RemovalMessages
{
    public static void Show(ISnackbar snackbar, IStringLocalizer localizer, RemovalOutcome outcome, string name, string refusedKey)
    {
        var (key, severity) = outcome switch
        {
            RemovalOutcome.Deleted => ("Removed_Deleted", Severity.Success),
            RemovalOutcome.Archived => ("Removed_Archived", Severity.Info),
            RemovalOutcome.Refused => (refusedKey, Severity.Warning),
            _ => ("Removed_NotFound", Severity.Warning),
        };
        snackbar.Add(localizer[key, name], severity);
    }
}
