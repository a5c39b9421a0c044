namespace DeepSeek.Portal.Planning.Roadmap.Pages;

/// <summary>
/// What the roadmap service refused, held by an editor dialog: field messages (the request's camelCase property names)
/// for the inputs, and one line for refusals that belong to no field (a conflicting edit, a row deleted meanwhile).
/// </summary>
public sealed class RoadmapErrors
{
    private IReadOnlyDictionary<string, string[]> _fields = new Dictionary<string, string[]>();

    public string? General { get; private set; }

    public bool Any => General is not null || _fields.Count > 0;

    public IEnumerable<string> All => _fields.SelectMany(f => f.Value).Concat(General is null ? [] : [General]);

    public bool Has(string field) => _fields.Keys.Any(k => Matches(k, field));

    public string? Message(string field) =>
        _fields.Where(f => Matches(f.Key, field)).SelectMany(f => f.Value) is var m && m.Any() ? string.Join(" ", m) : null;

    /// <summary>Messages found before calling the service (a date picker left blank).</summary>
    public void Set(IReadOnlyDictionary<string, string[]> fields)
    {
        _fields = fields;
        General = null;
    }

    public void Clear()
    {
        _fields = new Dictionary<string, string[]>();
        General = null;
    }

    /// <summary>Runs an edit; on a refusal keeps its messages and returns false (nothing was saved).</summary>
    public async Task<bool> RunAsync(Func<Task> edit, string conflictMessage)
    {
        Clear();
        try
        {
            await edit();
            return true;
        }
        catch (RoadmapValidationException e)
        {
            _fields = e.Errors;
        }
        catch (RoadmapConflictException)
        {
            General = conflictMessage;
        }
        catch (RoadmapNotFoundException e)
        {
            General = e.Message;
        }
        return false;
    }

    // "dependsOn[2]" and "gates.target" belong to the dependsOn and gates inputs.
    private static bool Matches(string key, string field) =>
        key.Equals(field, StringComparison.OrdinalIgnoreCase)
        || key.StartsWith(field + "[", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith(field + ".", StringComparison.OrdinalIgnoreCase);
}
