using Microsoft.Extensions.Localization;
using MudBlazor;

namespace DeepSeek.Portal.Components;

/// <summary>
/// MudBlazor's built-in labels (the numeric field's increment button, close buttons, "Loading") from the portal's
/// resources, so screen readers hear them in the user's language; keys the resources lack fall back to MudBlazor's English.
/// </summary>
public sealed class PortalMudLocalizer(IStringLocalizer<SharedResource> l) : MudLocalizer
{
    public override LocalizedString this[string key]
    {
        get
        {
            var value = l[key];
            return value.ResourceNotFound ? new LocalizedString(key, key, resourceNotFound: true) : value;
        }
    }

    public override LocalizedString this[string key, params object[] arguments]
    {
        get
        {
            var value = l[key, arguments];
            return value.ResourceNotFound ? new LocalizedString(key, key, resourceNotFound: true) : value;
        }
    }
}
