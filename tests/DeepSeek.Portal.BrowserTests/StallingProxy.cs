using System.Net;
using System.Net.Sockets;

namespace DeepSeek.Portal.BrowserTests;

/// <summary>
/// A TCP forwarder on 127.0.0.1 in front of the portal whose traffic can be frozen: after <see cref="Stall"/> its
/// connections stay open but no byte moves either way, as when a laptop drops off the network: no FIN or RST ever
/// reaches the server, which only notices through its own timeouts.
/// </summary>
public sealed class StallingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _sockets = [];
    private readonly List<Task> _pipes = [];
    private readonly Task _accepting;
    private volatile bool _stalled;

    public StallingProxy(Uri target)
    {
        _targetPort = target.Port;
        _listener.Start();
        Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _accepting = AcceptAsync();
    }

    /// <summary>Where browsers connect instead of the portal.</summary>
    public string Url { get; }

    /// <summary>Stops moving bytes on every connection, present and future, without closing any.</summary>
    public void Stall() => _stalled = true;

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
                lock (_sockets)
                {
                    _sockets.AddRange([client, server]);
                    _pipes.AddRange([PipeAsync(client.GetStream(), server.GetStream()), PipeAsync(server.GetStream(), client.GetStream())]);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    // Ends when either side closes or the proxy is disposed.
    private async Task PipeAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                await WhileStalledAsync();
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                    return;
                await WhileStalledAsync();
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task WhileStalledAsync()
    {
        while (_stalled)
            await Task.Delay(50, _stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_sockets)
        {
            foreach (var socket in _sockets)
                socket.Dispose();
        }
        await _accepting;
        Task[] pipes;
        lock (_sockets)
            pipes = [.. _pipes];
        await Task.WhenAll(pipes);
        _stop.Dispose();
    }
}
