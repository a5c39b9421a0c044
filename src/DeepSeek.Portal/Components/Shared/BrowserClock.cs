using Microsoft.JSInterop;

namespace DeepSeek.Portal.Components.Shared;

/// <summary>
/// The browser's time zone for one circuit, asked once through JS interop. Until it is known (prerendering,
/// or before the first interactive render) times are shown in UTC, always with the offset written out.
/// </summary>
public sealed class BrowserClock(IJSRuntime js)
{
    private Task<TimeZoneInfo>? _loading;

    /// <summary>The browser's zone, or null while unknown.</summary>
    public TimeZoneInfo? Zone { get; private set; }

    /// <summary>Asks the browser once per circuit; later calls return the same answer. Call only after the first render.</summary>
    public Task<TimeZoneInfo> LoadAsync() => _loading ??= AskAsync();

    /// <summary>The zone to format with now: the browser's when known, otherwise UTC.</summary>
    public TimeZoneInfo Current => Zone ?? TimeZoneInfo.Utc;

    private async Task<TimeZoneInfo> AskAsync()
    {
        TimeZoneInfo zone;
        try
        {
            await using var module = await js.InvokeAsync<IJSObjectReference>("import", PortalScript.Path);
            var id = await module.InvokeAsync<string?>("timeZone");
            zone = id is { Length: > 0 } && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var found) ? found : TimeZoneInfo.Utc;
        }
        catch (JSException)
        {
            zone = TimeZoneInfo.Utc;
        }
        Zone = zone;
        return zone;
    }
}

/// <summary>The portal's own browser module (wwwroot-assets/portal.js, served under /assets).</summary>
public static class PortalScript
{
    /// <summary>Import path relative to the document base.</summary>
    public const string Path = "./assets/portal.js";
}
