using DeepSeek.Portal.Data;
using System.Globalization;
using DeepSeek.Portal.Training;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DeepSeek.Portal.Tests;

/// <summary>The fan-out to watching circuits on its own: one mailbox and one delivery task per watcher.</summary>
public sealed class LiveFeedTests
{
    private readonly ListLogger _log = new();

    private RunLiveFeed Feed(TimeSpan? timeout = null) => new(_log.For<RunLiveFeed>(), Microsoft.Extensions.Options.Options.Create(new LiveUpdateOptions
    {
        SubscriberTimeout = timeout ?? TimeSpan.FromMinutes(10),
    }));

    private static RunUpdate Update(int runId, int step, RunStatus status = RunStatus.Running) =>
        new(runId, status, step, 100, step, 10, 1000, [new RunPoint(step, 5.0 / step, 1e-3, 1000, 1, step, 0)], null, null);

    [Fact]
    public async Task A_watcher_that_never_answers_does_not_hold_up_publishing_or_the_other_watchers()
    {
        using var feed = Feed();
        var hungCalls = 0;
        using var hung = feed.Subscribe(1, _ =>
        {
            Interlocked.Increment(ref hungCalls);
            return new TaskCompletionSource().Task;
        });
        var received = new List<int>();
        var all = new TaskCompletionSource();
        using var healthy = feed.Subscribe(1, u =>
        {
            lock (received)
            {
                received.AddRange(u.Points.Select(p => p.Step));
                if (received.Contains(50))
                    all.TrySetResult();
            }
            return Task.CompletedTask;
        });

        for (var step = 1; step <= 50; step++)
            feed.Publish(Update(1, step)); // returns at once although one watcher never answers

        await all.Task.WaitAsync(TimeSpan.FromSeconds(30));
        lock (received)
            Assert.Equal(Enumerable.Range(1, 50), received);
        Assert.Equal(1, hungCalls); // still waiting on its first update, the rest merged behind it
        Assert.Equal(2, feed.Count);
    }

    [Fact]
    public async Task A_slow_watcher_gets_the_points_it_missed_merged_into_one_update_with_the_newest_status()
    {
        using var feed = Feed();
        var gate = new TaskCompletionSource();
        var updates = new List<RunUpdate>();
        var second = new TaskCompletionSource();
        using var slow = feed.Subscribe(7, async u =>
        {
            int count;
            lock (updates)
            {
                updates.Add(u);
                count = updates.Count;
            }
            if (count == 1)
                await gate.Task;
            else
                second.TrySetResult();
        });

        feed.Publish(Update(7, 1));
        await WaitUntilAsync(() => { lock (updates) return updates.Count == 1; });
        for (var step = 2; step <= 20; step++)
            feed.Publish(Update(7, step));
        feed.Publish(Update(7, 20, RunStatus.Succeeded) with { Points = [], HeldOutPerplexity = 1.9 });
        gate.SetResult();
        await second.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(200); // nothing else may follow

        lock (updates)
        {
            Assert.Equal(2, updates.Count);
            Assert.Equal(Enumerable.Range(2, 19), updates[1].Points.Select(p => p.Step));
            Assert.Equal(RunStatus.Succeeded, updates[1].Status);
            Assert.Equal(1.9, updates[1].HeldOutPerplexity);
        }
    }

    [Fact]
    public async Task A_watcher_whose_handler_throws_is_dropped_and_logged_and_the_others_keep_receiving()
    {
        using var feed = Feed();
        var thrown = 0;
        using var broken = feed.Subscribe(3, _ =>
        {
            Interlocked.Increment(ref thrown);
            throw new ObjectDisposedException("circuit");
        });
        var healthy = 0;
        using var ok = feed.Subscribe(3, _ =>
        {
            Interlocked.Increment(ref healthy);
            return Task.CompletedTask;
        });

        feed.Publish(Update(3, 1));
        await WaitUntilAsync(() => feed.Count == 1 && Volatile.Read(ref healthy) == 1);
        feed.Publish(Update(3, 2));
        await WaitUntilAsync(() => Volatile.Read(ref healthy) == 2);

        Assert.Equal(1, thrown);
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("run 3", StringComparison.Ordinal) && e.Exception is ObjectDisposedException);
    }

    [Fact]
    public async Task A_watcher_that_does_not_answer_within_the_timeout_is_dropped_with_a_warning()
    {
        using var feed = Feed(TimeSpan.FromMilliseconds(200));
        using var hung = feed.Subscribe(4, _ => new TaskCompletionSource().Task);

        feed.Publish(Update(4, 1));

        await WaitUntilAsync(() => feed.Count == 0);
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("run 4", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Handlers_run_in_the_culture_of_the_code_that_subscribed_not_of_the_publisher()
    {
        using var feed = Feed();
        var seen = new TaskCompletionSource<(string Culture, string UiCulture)>();
        var (culture, uiCulture) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        IDisposable subscription;
        try
        {
            // A Blazor circuit opened in Chinese subscribes with its culture current.
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("zh-Hans");
            subscription = feed.Subscribe(5, _ =>
            {
                seen.TrySetResult((CultureInfo.CurrentCulture.Name, CultureInfo.CurrentUICulture.Name));
                return Task.CompletedTask;
            });
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, uiCulture);
        }

        // The publisher runs on a background thread in the invariant culture.
        await Task.Run(() =>
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
            feed.Publish(Update(5, 1));
        });

        Assert.Equal(("zh-Hans", "zh-Hans"), await seen.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        subscription.Dispose();
    }

    [Fact]
    public async Task A_disposed_subscription_gets_nothing_more_and_dispose_does_not_wait_for_a_hung_handler()
    {
        using var feed = Feed();
        var calls = 0;
        var subscription = feed.Subscribe(6, _ =>
        {
            Interlocked.Increment(ref calls);
            return new TaskCompletionSource().Task;
        });
        feed.Publish(Update(6, 1));
        await WaitUntilAsync(() => Volatile.Read(ref calls) == 1);

        subscription.Dispose();
        feed.Publish(Update(6, 2));
        await Task.Delay(200);

        Assert.Equal(1, calls);
        Assert.Equal(0, feed.Count);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("The condition did not become true");
            await Task.Delay(10);
        }
    }
}

/// <summary>Collects log entries so tests can check that drops are reported.</summary>
internal sealed class ListLogger : ILoggerProvider
{
    private readonly List<Entry> _entries = [];

    public IReadOnlyList<Entry> Entries
    {
        get
        {
            lock (_entries)
                return [.. _entries];
        }
    }

    public ILogger<T> For<T>() => new Logger<T>(new Factory(this));

    public ILogger CreateLogger(string categoryName) => new Sink(this, categoryName);

    public void Dispose()
    {
    }

    internal sealed record Entry(string Category, LogLevel Level, string Message, Exception? Exception);

    private sealed class Sink(ListLogger owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._entries)
                owner._entries.Add(new Entry(category, logLevel, formatter(state, exception), exception));
        }
    }

    private sealed class Factory(ListLogger owner) : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => owner.CreateLogger(categoryName);

        public void Dispose()
        {
        }
    }
}
