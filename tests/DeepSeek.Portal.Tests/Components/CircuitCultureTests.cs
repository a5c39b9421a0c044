using System.Globalization;
using Bunit;
using DeepSeek.Portal.Components.Shared;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.Extensions.Localization;

namespace DeepSeek.Portal.Tests.Components;

/// <summary>
/// A live update arrives on a background thread with that thread's culture; the page must still render in the
/// language of the circuit it belongs to.
/// </summary>
public sealed class CircuitCultureTests() : ComponentTestContext("zh-Hans")
{
    [Fact]
    public async Task An_update_from_an_English_background_thread_renders_in_the_circuits_Chinese()
    {
        var probe = Context.Render<StatusProbe>();
        Assert.Contains("排队中", probe.Markup, StringComparison.Ordinal);

        await FromEnglishThreadAsync(() => probe.Instance.Wrapped("Running"));

        Assert.Contains("运行中", probe.Markup, StringComparison.Ordinal);
        Assert.Contains(new DateTime(2026, 12, 2).ToString("d", new CultureInfo("zh-Hans")), probe.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_wrapper_the_same_update_renders_in_the_threads_English()
    {
        // The defect the wrapper exists for: if this ever renders Chinese, the wrapper test above proves nothing.
        var probe = Context.Render<StatusProbe>();
        await FromEnglishThreadAsync(() => probe.Instance.Unwrapped("Running"));
        Assert.Contains("Running", probe.Markup, StringComparison.Ordinal);
    }

    private static Task FromEnglishThreadAsync(Func<Task> publish) => Task.Run(async () =>
    {
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
        await publish();
    });

    private sealed class StatusProbe : CircuitCultureComponent
    {
        private string _status = "Queued";

        [Inject] private IStringLocalizer<SharedResource> L { get; set; } = default!;

        public Func<string, Task> Wrapped => InCircuitCulture<string>(Unwrapped);

        public Task Unwrapped(string status) => InvokeAsync(() =>
        {
            _status = status;
            StateHasChanged();
        });

        protected override void BuildRenderTree(RenderTreeBuilder builder)
        {
            builder.AddContent(0, L["Status_" + _status]);
            builder.AddContent(1, " ");
            builder.AddContent(2, new DateTime(2026, 12, 2).ToString("d", CultureInfo.CurrentCulture));
        }
    }
}
