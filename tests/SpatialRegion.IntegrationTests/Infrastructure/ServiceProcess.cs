using System.Diagnostics;
using System.Text.RegularExpressions;

namespace SpatialRegion.IntegrationTests.Infrastructure;

/// <summary>
/// The service as a real process listening on a loopback port (Kestrel chooses a free one), for clients that
/// speak HTTP over a socket: GDAL's drivers cannot reach the in-memory test server. It serves the test database.
/// </summary>
public sealed partial class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServiceProcess(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    /// <summary>Whether the process has ended (it never should on its own).</summary>
    public bool HasExited => _process.HasExited;

    public static async Task<ServiceProcess> StartAsync(string connectionString, IReadOnlyDictionary<string, string>? settings = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SpatialRegion.Api.dll"));
        start.Environment["ConnectionStrings__Postgis"] = connectionString;
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        var process = Process.Start(start)!;
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new List<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException("The service exited: " + string.Join('\n', output)));
                return;
            }
            lock (output)
            {
                output.Add(e.Data);
            }
            if (ListeningOn().Match(e.Data) is { Success: true } m)
            {
                listening.TrySetResult(m.Groups[1].Value);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.Add(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var url = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            return new ServiceProcess(process, url);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningOn();
}

/// <summary>
/// The service as a process shared by the tests of one class (a class fixture), over the tests' database with its
/// default settings: a test class's own IAsyncLifetime would start one for every test.
/// </summary>
public sealed class ServiceProcessFixture(PostgisFixture db) : IAsyncLifetime
{
    private ServiceProcess? _service;

    public string BaseUrl => _service!.BaseUrl;

    public async ValueTask InitializeAsync() => _service = await ServiceProcess.StartAsync(db.ConnectionString);

    public ValueTask DisposeAsync() => _service?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>Runs a command line tool (ogr2ogr, ogrinfo) and returns its exit code and output.</summary>
public static class Tool
{
    public static async Task<(int Exit, string Output, string Error)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>ogr2ogr of a source (OAPIF:…, WFS:…, a tile) to a GeoJSON file, read back: the features as GDAL read
    /// them. The arguments follow "-f GeoJSON target": the source, then layers and options.</summary>
    public static async Task<System.Text.Json.Nodes.JsonObject> Ogr2ogrAsync(params string[] arguments)
    {
        var target = Path.Combine(Path.GetTempPath(), $"ogr2ogr-{Guid.NewGuid():N}.geojson");
        try
        {
            var (exit, output, error) = await RunAsync("ogr2ogr", ["-f", "GeoJSON", target, .. arguments]);
            Assert.True(exit == 0, $"ogr2ogr failed ({exit}): {output} {error}");
            return System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(target, TestContext.Current.CancellationToken))!.AsObject();
        }
        finally
        {
            File.Delete(target);
        }
    }
}
