using Microsoft.AspNetCore.Components;

namespace DeepSeek.Portal.Components.Shared;

/// <summary>
/// Base of the interactive pages: <see cref="Aborted"/> is cancelled when the component goes away (navigation, closed
/// tab, dropped circuit), so the service calls it started stop instead of finishing for nobody.
/// </summary>
public abstract class PortalComponentBase : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource _aborted = new();

    /// <summary>Cancelled when the component is disposed; pass it to every service call.</summary>
    protected CancellationToken Aborted => _aborted.Token;

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
            return;
        _aborted.Cancel();
        _aborted.Dispose();
    }
}
