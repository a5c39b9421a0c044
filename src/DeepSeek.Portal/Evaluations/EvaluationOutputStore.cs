using System.Text.Json;
using DeepSeek.Portal.Evaluation.Runners;
using Microsoft.EntityFrameworkCore;

namespace DeepSeek.Portal.Evaluations;

/// <summary>
/// The suite runner's output cache in the portal's database (<see cref="EvaluationOutputCacheEntry"/>): a re-run of the
/// same items against the same target identity pays for nothing twice. Each call uses its own scope (the runner calls
/// it concurrently).
/// </summary>
public sealed class DatabaseOutputCache(IServiceScopeFactory scopes, TimeProvider clock) : IOutputCache
{
    public async Task<string?> GetAsync(string key, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        return await db.EvaluationOutputCache.AsNoTracking().Where(e => e.Key == key).Select(e => e.Output).FirstOrDefaultAsync(ct);
    }

    public async Task SetAsync(string key, string value, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var now = clock.GetUtcNow();
        var updated = await db.EvaluationOutputCache.Where(e => e.Key == key).ExecuteUpdateAsync(u => u.SetProperty(e => e.Output, value).SetProperty(e => e.CreatedAt, now), ct);
        if (updated == 0)
        {
            db.EvaluationOutputCache.Add(new EvaluationOutputCacheEntry { Key = key, Output = value, CreatedAt = now });
            try { await db.SaveChangesAsync(ct); }
            catch (DbUpdateException) { /* a concurrent writer stored the same key first: same call, same output */ }
        }
    }
}

/// <summary>
/// Each item's raw <see cref="ItemOutput"/> of an evaluation, kept beside the cache under <c>evaluation:{id}:{item}</c>
/// so the figures can be computed over every item, also those an earlier attempt (before a restart) ran. Deleted with
/// the evaluation.
/// </summary>
public static class EvaluationOutputs
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string Prefix(int evaluationId) => $"evaluation:{evaluationId}:";

    public static EvaluationOutputCacheEntry Entry(int evaluationId, ItemOutput output, DateTimeOffset now) =>
        new() { Key = Prefix(evaluationId) + output.ItemId, Output = JsonSerializer.Serialize(output, Json), CreatedAt = now };

    public static async Task<List<ItemOutput>> ReadAsync(PortalDbContext db, int evaluationId, CancellationToken ct)
    {
        var prefix = Prefix(evaluationId);
        var rows = await db.EvaluationOutputCache.AsNoTracking().Where(e => e.Key.StartsWith(prefix)).Select(e => e.Output).ToListAsync(ct);
        return rows.Select(r => JsonSerializer.Deserialize<ItemOutput>(r, Json)!).ToList();
    }

    public static Task<int> DeleteAsync(PortalDbContext db, int evaluationId, CancellationToken ct)
    {
        var prefix = Prefix(evaluationId);
        return db.EvaluationOutputCache.Where(e => e.Key.StartsWith(prefix)).ExecuteDeleteAsync(ct);
    }
}
