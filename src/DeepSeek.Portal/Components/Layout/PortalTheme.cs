using MudBlazor;

namespace DeepSeek.Portal.Components.Layout;

/// <summary>The portal's colours and fonts (system fonts with CJK fallbacks; nothing is fetched from the network).</summary>
public static class PortalTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#4D6BFE",
            Secondary = "#1F2A44",
            AppbarBackground = "#1F2A44",
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
