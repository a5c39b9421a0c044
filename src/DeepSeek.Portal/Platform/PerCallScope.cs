namespace DeepSeek.Portal.Platform;

/// <summary>
/// Runs one service call in its own DI scope. Interactive components live as long as the circuit and receive
/// live updates concurrently with user events, so they must not share one DbContext across calls.
/// </summary>
public sealed class PerCallScope(IServiceScopeFactory scopes)
{
    public async Task<TResult> RunAsync<TService, TResult>(Func<TService, Task<TResult>> call) where TService : notnull
    {
        await using var scope = scopes.CreateAsyncScope();
        return await call(scope.ServiceProvider.GetRequiredService<TService>());
    }
}
