using MudBlazor;

namespace DeepSeek.Portal.Components.Layout;

/// <summary>The portal's colours and fonts (system fonts with CJK fallbacks; nothing is fetched from the network).</summary>
/// <remarks>
/// Every colour that carries text is at least 4.5:1 (WCAG AA) against white and against its own 12 % tint, which is
/// what MudBlazor's text-variant chips draw on: MudBlazor's defaults (info #2196f3, success #4caf50, warning #ff9800)
/// are 2.0–3.1:1 there. The browser tests check it with axe-core on every page.
/// </remarks>
public static class PortalTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#3A56E0",
            Secondary = "#1F2A44",
            Info = "#1565C0",
            Success = "#1E6B24",
            Warning = "#8A5300",
            Error = "#B71C1C",
            AppbarBackground = "#1F2A44",
            TextSecondary = "rgba(0,0,0,0.66)",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography
            {
                FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "sans-serif"],
            },
        },
    };
}
