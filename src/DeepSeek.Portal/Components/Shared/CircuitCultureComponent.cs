using System.Globalization;
using Microsoft.AspNetCore.Components;

namespace DeepSeek.Portal.Components.Shared;

/// <summary>
/// A component that renders in its circuit's language even when a background service makes it re-render.
/// </summary>
/// <remarks>
/// Code that a background service (the run progress publisher) calls through <c>InvokeAsync</c> runs with the
/// calling thread's culture, not the circuit's, so a live update would re-render a Chinese page in English with
/// culture-neutral dates. The component is created during a render on the circuit, so it captures the circuit's
/// culture then and puts it back around every callback that arrives from outside the circuit.
/// </remarks>
public abstract class CircuitCultureComponent : ComponentBase
{
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
    private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;

    /// <summary>The UI culture of the circuit that created this component.</summary>
    protected CultureInfo CircuitUICulture => _uiCulture;

    /// <summary>
    /// Wraps a handler that a background service calls so that it (and the renders it triggers through
    /// <c>InvokeAsync</c>) runs in the circuit's culture. The culture change stays inside the async call.
    /// </summary>
    protected Func<T, Task> InCircuitCulture<T>(Func<T, Task> handler) => async argument =>
    {
        // An async lambda: the culture set here flows into InvokeAsync's work item and is undone for the caller on return.
        ApplyCircuitCulture();
        await handler(argument);
    };

    /// <summary><c>InvokeAsync</c> with the circuit's culture restored first.</summary>
    protected Task InvokeInCircuitCultureAsync(Func<Task> work) => InvokeAsync(async () =>
    {
        ApplyCircuitCulture();
        await work();
    });

    /// <summary>Restores the circuit's culture on the current flow (for calls that arrive from the browser through JS interop).</summary>
    protected void ApplyCircuitCulture()
    {
        CultureInfo.CurrentCulture = _culture;
        CultureInfo.CurrentUICulture = _uiCulture;
    }
}
