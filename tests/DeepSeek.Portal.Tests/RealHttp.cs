using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using DeepSeek.Portal.Accounts;
using DeepSeek.Portal.Data;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DeepSeek.Portal.Tests;

/// <summary>
/// The portal on real Kestrel (127.0.0.1, a free port) for tests of what arrives on the wire: malformed bodies,
/// concurrent requests and clients that go away. Also what an upload may leave behind on disk and in the database.
/// </summary>
internal sealed class RealHttp
{
    private RealHttp(PortalFactory portal, Uri baseAddress)
    {
        Portal = portal;
        BaseAddress = baseAddress;
    }

    public PortalFactory Portal { get; }
    public Uri BaseAddress { get; }
    public string DatasetsDirectory => Path.Combine(Portal.DataDirectory, "datasets");
    public string TempDirectory => Path.Combine(Portal.DataDirectory, "temp");

    public static RealHttp Start(PortalFactory portal)
    {
        portal.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        portal.StartServer();
        var address = portal.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RealHttp(portal, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>A client over real HTTP with an engineer's bearer token.</summary>
    public async Task<HttpClient> EngineerAsync()
    {
        const string email = "engineer@http.local";
        await using (var scope = Portal.Services.CreateAsyncScope())
        {
            var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
            if ((await accounts.ListAsync(CancellationToken.None)).All(u => u.Email != email))
                Assert.True((await accounts.CreateUserAsync(email, PortalFactory.Password, PortalRoles.Engineer)).Succeeded);
        }
        var client = new HttpClient { BaseAddress = BaseAddress };
        var token = await PortalFactory.TokenAsync(client, email);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<List<Dataset>> DatasetRowsAsync()
    {
        await using var scope = Portal.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<PortalDbContext>().Datasets.AsNoTracking().ToListAsync();
    }

    public string[] DatasetFiles() => Directory.Exists(DatasetsDirectory) ? Directory.GetFiles(DatasetsDirectory) : [];
    public string[] TempFiles() => Directory.Exists(TempDirectory) ? Directory.GetFiles(TempDirectory) : [];

    /// <summary>Every dataset file belongs to a row and every row has its file; nothing waits in temp/.</summary>
    public async Task AssertNothingLeftBehindAsync(string because)
    {
        var rows = await DatasetRowsAsync();
        var expected = rows.Select(r => r.Sha256 + ".jsonl").Distinct().Order().ToArray();
        var actual = DatasetFiles().Select(Path.GetFileName).Order().ToArray();
        Assert.True(expected.SequenceEqual(actual), $"{because}: dataset files [{string.Join(", ", actual)}] do not match rows [{string.Join(", ", expected)}]");
        // Request temp files are removed when the response is complete; give a request that is still finishing a moment.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (TempFiles().Length > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.True(TempFiles().Length == 0, $"{because}: temp/ still holds {string.Join(", ", TempFiles().Select(Path.GetFileName))}");
    }

    /// <summary>A hand-made multipart body: each part is its raw header lines and its bytes.</summary>
    public static byte[] Multipart(string boundary, IEnumerable<(string Headers, byte[] Body)> parts, bool close = true)
    {
        var body = new MemoryStream();
        void Write(string s) => body.Write(Encoding.UTF8.GetBytes(s));
        foreach (var (headers, bytes) in parts)
        {
            Write($"--{boundary}\r\n{headers}\r\n\r\n");
            body.Write(bytes);
            Write("\r\n");
        }
        if (close)
            Write($"--{boundary}--\r\n");
        return body.ToArray();
    }

    public static (string, byte[]) FilePart(string fileName, byte[] content, string field = "file") =>
        ($"Content-Disposition: form-data; name=\"{field}\"; filename=\"{fileName}\"\r\nContent-Type: application/octet-stream", content);

    public static (string, byte[]) FilePart(string fileName, string content) => FilePart(fileName, Encoding.UTF8.GetBytes(content));

    public static (string, byte[]) Field(string name, string value) =>
        ($"Content-Disposition: form-data; name=\"{name}\"", Encoding.UTF8.GetBytes(value));

    public static ByteArrayContent Body(byte[] bytes, string contentType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    public static async Task<T> ReadAsync<T>(HttpResponseMessage response) => (await response.Content.ReadFromJsonAsync<T>())!;
}
