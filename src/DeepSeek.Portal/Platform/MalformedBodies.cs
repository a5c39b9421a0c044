using System.Collections;
using System.Reflection;
using System.Text.Json;

namespace DeepSeek.Portal.Platform;

/// <summary>
/// A request body the API cannot read gets a validation problem that names the field, the position and what was
/// expected — <c>{"errors":{"precision":["line 1, byte 43: expected one of Fp32, Bf16, Fp16, Fp8, Int8, Int4"]}}</c> —
/// instead of ASP.NET's bare "Failed to read parameter … as JSON" (Production) or an exception dump (Development).
/// </summary>
/// <remarks>
/// Minimal APIs report a body they cannot bind by throwing <see cref="BadHttpRequestException"/> only when
/// <see cref="RouteHandlerOptions.ThrowOnBadRequest"/> is set (otherwise they write an empty 400 themselves), so the
/// option is on in every environment and this middleware turns the exception into the answer. The expected shape comes
/// from the endpoint's own body type, walked along the JSON path the serializer reports.
/// </remarks>
public static class MalformedBodies
{
    public static IServiceCollection AddMalformedBodyProblems(this IServiceCollection services) =>
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

    public static WebApplication UseMalformedBodyProblems(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted && context.Request.Path.StartsWithSegments("/api"))
            {
                context.Response.Clear();
                if (e.StatusCode == StatusCodes.Status400BadRequest)
                {
                    var (field, message) = Describe(e, context.GetEndpoint());
                    await TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "The request body could not be read.")
                        .ExecuteAsync(context);
                }
                else
                    await TypedResults.Problem(statusCode: e.StatusCode, title: "The request body could not be read.", detail: FirstSentence(e.Message)).ExecuteAsync(context);
            }
        });
        return app;
    }

    /// <summary>The field (camelCase path, "body" for the whole) and a sentence saying where and what was expected.</summary>
    internal static (string Field, string Message) Describe(BadHttpRequestException e, Endpoint? endpoint)
    {
        if (e.InnerException is not JsonException json)
            return ("body", FirstSentence(e.Message));
        var path = json.Path is { Length: > 1 } p ? p : "$";
        var where = json.LineNumber is { } line
            ? $"line {line + 1}, byte {(json.BytePositionInLine ?? 0) + 1}"
            : "the body";
        var type = BodyType(endpoint) is { } body ? Walk(body, path) : null;
        // Syntax errors (a missing quote, a trailing comma) carry the reader's own explanation; conversion errors say
        // nothing useful ("could not be converted to …"), so the expected shape is taken from the type.
        var message = json.InnerException is JsonException reader && reader.GetType().Name == "JsonReaderException"
            ? $"{where}: not valid JSON — {FirstSentence(reader.Message)}"
            : type is not null
                ? $"{where}: expected {Expected(type)}."
                : $"{where}: {FirstSentence(json.Message)}";
        return (FieldName(path), message);
    }

    private static string FirstSentence(string message)
    {
        // The reader's position ("Path: $ | LineNumber: 0 | BytePositionInLine: 1.") is given once, 1-based, in front.
        foreach (var tail in new[] { " Path:", " LineNumber:" })
        {
            var cut = message.IndexOf(tail, StringComparison.Ordinal);
            if (cut > 0) message = message[..cut];
        }
        return message.Trim();
    }

    /// <summary><c>$.plan.contextLength</c> → <c>plan.contextLength</c>; <c>$['a b']</c> and indices kept; <c>$</c> → body.</summary>
    internal static string FieldName(string path)
    {
        if (path == "$") return "body";
        var s = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return s.Length == 0 ? "body" : s;
    }

    /// <summary>The body's type as the endpoint declared it (minimal APIs record it as accepts metadata).</summary>
    private static Type? BodyType(Endpoint? endpoint) =>
        endpoint?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>()?.RequestType;

    /// <summary>The type at <paramref name="path"/> inside <paramref name="root"/> (property names case-insensitive), or null when a step is unknown.</summary>
    internal static Type? Walk(Type root, string path)
    {
        var type = root;
        var i = 1; // past '$'
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                var name = path[(i + 1)..(end < 0 ? path.Length : end)];
                type = Property(type, name);
                i = end < 0 ? path.Length : end;
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i);
                if (end < 0) return null;
                var inside = path[(i + 1)..end];
                type = inside.StartsWith('\'') ? Property(type, inside.Trim('\'')) : Element(type);
                i = end + 1;
            }
            else return null;
            if (type is null) return null;
        }
        return type;
    }

    private static Type? Property(Type type, string name) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))?.PropertyType;

    private static Type? Element(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) ? type.GetGenericArguments().Last()
        : null;

    /// <summary>What a value of <paramref name="type"/> looks like in JSON, in words a caller can act on.</summary>
    internal static string Expected(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        var orNull = t != type || !type.IsValueType ? " (or null)" : "";
        if (t.IsEnum) return $"one of {string.Join(", ", Enum.GetNames(t))}{orNull}";
        if (t == typeof(int) || t == typeof(long) || t == typeof(short) || t == typeof(byte) || t == typeof(uint) || t == typeof(ulong))
            return $"a whole number{(t == typeof(int) ? $" between {int.MinValue:N0} and {int.MaxValue:N0}" : "")}{orNull}";
        if (t == typeof(double) || t == typeof(float) || t == typeof(decimal)) return $"a number{orNull}";
        if (t == typeof(bool)) return $"true or false{orNull}";
        if (t == typeof(DateOnly)) return $"a date such as \"2026-12-31\"{orNull}";
        if (t == typeof(DateTime) || t == typeof(DateTimeOffset)) return $"a date and time such as \"2026-12-31T09:30:00Z\"{orNull}";
        if (t == typeof(TimeSpan)) return $"a duration such as \"00:30:00\"{orNull}";
        if (t == typeof(Guid)) return $"a GUID{orNull}";
        if (t == typeof(string)) return "a string (or null)";
        if (t.IsGenericType && t.GetGenericTypeDefinition() is var d && (d == typeof(Dictionary<,>) || d == typeof(IReadOnlyDictionary<,>) || d == typeof(IDictionary<,>)))
            return "an object of names to values (or null)";
        if (t.IsArray || (t.IsGenericType && typeof(IEnumerable).IsAssignableFrom(t)))
        {
            var element = Element(t) is { } e ? Expected(e).Replace(" (or null)", "", StringComparison.Ordinal) : null;
            return element switch { null => "an array (or null)", "an object" => "an array of objects (or null)", _ => $"an array, each {element} (or null)" };
        }
        return "an object";
    }
}
