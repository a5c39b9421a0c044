using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using DeepSeek.Portal.Training;

namespace DeepSeek.Portal.Tests;

/// <summary>
/// The portal as its own operating-system process, killed with SIGKILL in the middle of a training run (no shutdown
/// hook, no final checkpoint, whatever was half-written stays half-written), then started again: the run must resume
/// by itself from its last checkpoint and its losses must equal those of an uninterrupted run with the same seed.
/// </summary>
public sealed class KilledProcessResumeTests : IDisposable
{
    private const string Email = "admin@kill.local";
    private const string Password = "Kill-test-password-1";
    private readonly string _data = PortalFactory.NewDataDirectory();

    public void Dispose() => PortalFactory.DeleteDataDirectory(_data);

    [Fact]
    public async Task A_run_whose_portal_process_is_killed_resumes_at_the_next_start_with_the_losses_of_an_uninterrupted_run()
    {
        const int steps = 40;
        var settings = new RunLaunchRequest
        {
            Steps = steps, MicroBatchSize = 2, GradientAccumulationSteps = 2, WarmupSteps = 3, SequenceLength = 32,
            CheckpointEvery = 10, TokenizerVocabSize = 400, Seed = 7, LearningRateDecay = "linear",
        };

        List<RunPoint> reference;
        int killedRunId, killedAtStep;
        using (var first = await PortalProcess.StartAsync(_data, Email, Password))
        {
            var client = await first.ClientAsync();
            var dataset = await TestData.UploadDatasetAsync(client, "killed");

            var uninterrupted = await LaunchAsync(client, settings with { DatasetId = dataset.Id, Name = "uninterrupted" });
            var done = await TestData.WaitForRunAsync(client, uninterrupted, r => !r.IsActive);
            Assert.True(done.Status == Data.RunStatus.Succeeded, done.Error);
            reference = (await client.GetFromJsonAsync<List<RunPoint>>($"/api/runs/{uninterrupted}/metrics"))!;

            killedRunId = await LaunchAsync(client, settings with { DatasetId = dataset.Id, Name = "killed" });
            // Past the first checkpoint and between two of them, so steps after the checkpoint are lost and redone.
            var seen = await TestData.WaitForRunAsync(client, killedRunId, r => r.CurrentStep >= 13);
            killedAtStep = seen.CurrentStep;
            first.Kill();
        }
        Assert.InRange(killedAtStep, 13, steps - 1);

        using var second = await PortalProcess.StartAsync(_data, Email, Password);
        var reader = await second.ClientAsync();
        var resumed = await TestData.WaitForRunAsync(reader, killedRunId, r => !r.IsActive);
        Assert.True(resumed.Status == Data.RunStatus.Succeeded, resumed.Error);
        Assert.Equal(2, resumed.Attempts);

        var points = (await reader.GetFromJsonAsync<List<RunPoint>>($"/api/runs/{killedRunId}/metrics"))!;
        Assert.Equal(Enumerable.Range(1, steps), points.Select(p => p.Step));
        Assert.Equal(reference.Select(p => p.Loss), points.Select(p => p.Loss));
        Assert.Equal(reference.Select(p => p.LearningRate), points.Select(p => p.LearningRate));
        // Warm-up, then the linear decay the request asked for.
        var options = RunService.ToOptions(settings);
        Assert.Equal(Engine.Training.LearningRateDecay.Linear, resumed.Settings.LearningRateDecay);
        Assert.All(points, p => Assert.Equal(Engine.Training.LearningRateSchedule.At(p.Step, options), p.LearningRate, 12));
    }

    private static async Task<int> LaunchAsync(HttpClient client, RunLaunchRequest request)
    {
        var response = await client.PostAsJsonAsync("/api/runs", request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<RunSummary>())!.Id;
    }

    /// <summary>The built portal started with <c>dotnet DeepSeek.Portal.dll</c> on a free 127.0.0.1 port.</summary>
    private sealed class PortalProcess : IDisposable
    {
        private readonly Process _process;
        private readonly string _email, _password;
        private readonly System.Text.StringBuilder _log = new();

        private PortalProcess(Process process, Uri address, string email, string password)
        {
            _process = process;
            Address = address;
            _email = email;
            _password = password;
        }

        public Uri Address { get; }

        public static async Task<PortalProcess> StartAsync(string data, string email, string password)
        {
            var address = new Uri($"http://127.0.0.1:{FreePort()}");
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                WorkingDirectory = Path.GetDirectoryName(PortalBinary.Dll())!,
            };
            start.ArgumentList.Add(PortalBinary.Dll());
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add(address.ToString());
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
            start.Environment["Portal__DataDirectory"] = data;
            start.Environment["Portal__Admin__Email"] = email;
            start.Environment["Portal__Admin__Password"] = password;
            start.Environment["Portal__SeedDemoWorkspace"] = "false";
            // Both attempts reduce in the same order: the same thread count, not one measured anew at each start.
            start.Environment["DEEPSEEK_ENGINE_THREADS"] = "1";
            var process = Process.Start(start)!;
            var portal = new PortalProcess(process, address, email, password);
            process.OutputDataReceived += (_, e) => portal.Append(e.Data);
            process.ErrorDataReceived += (_, e) => portal.Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (DateTime.UtcNow < deadline)
            {
                if (process.HasExited)
                    throw new InvalidOperationException($"The portal exited with {process.ExitCode}:\n{portal.Log}");
                try
                {
                    if ((await probe.GetAsync("/health")).IsSuccessStatusCode)
                        return portal;
                }
                catch (HttpRequestException) { }
                catch (TaskCanceledException) { }
                await Task.Delay(250);
            }
            portal.Kill();
            throw new TimeoutException($"The portal did not answer /health within 90 s:\n{portal.Log}");
        }

        public async Task<HttpClient> ClientAsync()
        {
            var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
            var response = await client.PostAsJsonAsync("/api/auth/token", new { email = _email, password = _password });
            Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}\n{Log}");
            var token = (await response.Content.ReadFromJsonAsync<Dictionary<string, object>>())!["accessToken"].ToString();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return client;
        }

        public string Log
        {
            get { lock (_log) return _log.ToString(); }
        }

        private void Append(string? line)
        {
            if (line is null) return;
            lock (_log) _log.AppendLine(line);
        }

        /// <summary>SIGKILL: the process gets no chance to stop the run or write anything.</summary>
        public void Kill()
        {
            if (_process.HasExited) return;
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        public void Dispose()
        {
            Kill();
            _process.Dispose();
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
