using System.Net;
using System.Net.Sockets;

namespace SpatialRegion.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback TCP relay in front of PostgreSQL that a test can cut and restore: cut, it drops every open
/// connection and refuses new ones, which is what a service sees when its PostGIS stops or its host goes away;
/// restored, it listens on the same port again. The tests' PostgreSQL cluster is shared by every test of the run,
/// so stopping it for real would take the other tests down with it.
/// </summary>
public sealed class CuttableProxy : IAsyncDisposable
{
    private readonly int _targetPort;
    private readonly List<Socket> _open = [];
    private TcpListener? _listener;
    private CancellationTokenSource? _running;

    private CuttableProxy(int targetPort, int port)
    {
        _targetPort = targetPort;
        Port = port;
    }

    public int Port { get; private set; }

    public static CuttableProxy Start(int targetPort)
    {
        var proxy = new CuttableProxy(targetPort, 0);
        proxy.Restore();
        return proxy;
    }

    public void Restore()
    {
        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _listener = listener;
        _running = new CancellationTokenSource();
        _ = AcceptAsync(listener, _running.Token);
    }

    public void Cut()
    {
        _running?.Cancel();
        _listener?.Stop();
        lock (_open)
        {
            foreach (var socket in _open)
            {
                socket.Close(0);
            }
            _open.Clear();
        }
    }

    private async Task AcceptAsync(TcpListener listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(ct);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, ct);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                client.Close(0);
                server.Dispose();
                continue;
            }
            lock (_open)
            {
                _open.Add(client);
                _open.Add(server);
            }
            _ = RelayAsync(client, server);
            _ = RelayAsync(server, client);
        }
    }

    private static async Task RelayAsync(Socket from, Socket to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    break;
                }
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        from.Close(0);
        to.Close(0);
    }

    public ValueTask DisposeAsync()
    {
        Cut();
        return ValueTask.CompletedTask;
    }
}
