using System.Globalization;

namespace DeepSeek.Portal.Training.Pages;

/// <summary>
/// Plotly's own words (toolbar buttons, hints, month names) in the UI language. Plotly ships English only unless a
/// locale is registered; a chart can carry its locales in its config (<c>config.locales</c>), so nothing extra is
/// loaded in the browser. The translations are the portal's own.
/// </summary>
public static class PlotlyLocales
{
    /// <summary>Plotly's name for Simplified Chinese.</summary>
    public const string SimplifiedChinese = "zh-CN";

    /// <summary>The Plotly locale for the current UI culture, or null for English (Plotly's default).</summary>
    public static string? ForCurrentCulture() =>
        CultureInfo.CurrentUICulture.TwoLetterISOLanguageName == "zh" ? SimplifiedChinese : null;

    /// <summary>The <c>config.locales</c> object with the Simplified Chinese dictionary and formats.</summary>
    public static Dictionary<string, object> Definitions { get; } = new()
    {
        [SimplifiedChinese] = new Dictionary<string, object>
        {
            ["dictionary"] = new Dictionary<string, string>
            {
                ["Autoscale"] = "自动缩放",
                ["Box Select"] = "矩形选择",
                ["Click to enter Colorscale title"] = "点击输入色阶标题",
                ["Click to enter Plot title"] = "点击输入图表标题",
                ["Click to enter X axis title"] = "点击输入 X 轴标题",
                ["Click to enter Y axis title"] = "点击输入 Y 轴标题",
                ["Compare data on hover"] = "悬停时比较数据",
                ["Double-click on legend to isolate one trace"] = "双击图例只显示这一条曲线",
                ["Double-click to zoom back out"] = "双击恢复缩放",
                ["Download plot"] = "下载图表",
                ["Download plot as a png"] = "下载为 PNG 图片",
                // Plotly 3 words the button with the format in capitals (seen when the pointer rests on a chart).
                ["Download plot as a PNG"] = "下载为 PNG 图片",
                ["Edit in Chart Studio"] = "在 Chart Studio 中编辑",
                ["Lasso Select"] = "套索选择",
                ["Orbital rotation"] = "轨道旋转",
                ["Pan"] = "平移",
                ["Produced with Plotly.js"] = "由 Plotly.js 绘制",
                ["Reset"] = "重置",
                ["Reset axes"] = "重置坐标轴",
                ["Reset camera to default"] = "重置视角",
                ["Reset camera to last save"] = "恢复上次保存的视角",
                ["Reset view"] = "重置视图",
                ["Reset views"] = "重置所有视图",
                ["Show closest data on hover"] = "悬停时显示最近的数据",
                ["Snapshot succeeded"] = "截图成功",
                ["Sorry, there was a problem downloading your snapshot!"] = "抱歉，下载截图时出错！",
                ["Taking snapshot - this may take a few seconds"] = "正在截图，可能需要几秒钟",
                ["Toggle Spike Lines"] = "切换参考线",
                ["Toggle show closest data on hover"] = "切换悬停时显示最近的数据",
                ["Turntable rotation"] = "转台旋转",
                ["Zoom"] = "缩放",
                ["Zoom in"] = "放大",
                ["Zoom out"] = "缩小",
                ["close:"] = "收盘：",
                ["high:"] = "最高：",
                ["low:"] = "最低：",
                ["open:"] = "开盘：",
                ["trace"] = "曲线",
                ["max:"] = "最大值：",
                ["mean:"] = "平均值：",
                ["median:"] = "中位数：",
                ["min:"] = "最小值：",
                ["new text"] = "新文本",
            },
            ["format"] = new Dictionary<string, object>
            {
                ["days"] = new[] { "星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六" },
                ["shortDays"] = new[] { "周日", "周一", "周二", "周三", "周四", "周五", "周六" },
                ["months"] = Enumerable.Range(1, 12).Select(m => $"{m}月").ToArray(),
                ["shortMonths"] = Enumerable.Range(1, 12).Select(m => $"{m}月").ToArray(),
                ["date"] = "%Y-%m-%d",
                ["decimal"] = ".",
                ["thousands"] = ",",
            },
        },
    };
}
