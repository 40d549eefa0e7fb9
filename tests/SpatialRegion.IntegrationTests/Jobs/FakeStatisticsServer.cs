using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SpatialRegion.IntegrationTests.Jobs;

/// <summary>What the fake server does to the next request whose path starts with a prefix.</summary>
public abstract record Fault(string PathPrefix)
{
    public sealed record Status(string PathPrefix, int Code, string? RetryAfterSeconds = null) : Fault(PathPrefix);

    public sealed record Delay(string PathPrefix, TimeSpan Duration) : Fault(PathPrefix);

    public sealed record Malformed(string PathPrefix) : Fault(PathPrefix);
}

public sealed record RecordedRequest(string Method, string PathAndQuery, string Body, TimeSpan At, int Status);

/// <summary>
/// Kolada and SCB, played by a real Kestrel server on 127.0.0.1 with a port of its own. SCB answers are the
/// responses recorded from the real API (../shared/data/api-samples), served when the query matches the one
/// that produced them; Kolada pages are given by the test (no real Kolada body exists) and checked against the
/// JSON Schema of Kolada's documented response. Faults can be queued per path.
/// </summary>
public sealed class FakeStatisticsServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<Fault> _faults = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    public FakeStatisticsServer()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(HandleAsync);
        _app.StartAsync().GetAwaiter().GetResult();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        BaseAddress = new Uri(address.TrimEnd('/') + "/");
    }

    public Uri BaseAddress { get; }

    public string KoladaBase => BaseAddress + "kolada/v2/";

    public string ScbV1Base => BaseAddress + "scb/OV0104/v1/doris/sv/ssd/";

    public string ScbV2Base => BaseAddress + "scb2/api/v2/";

    /// <summary>Kolada pages by path and query (as requested), as JSON text.</summary>
    public ConcurrentDictionary<string, string> KoladaPages { get; } = new();

    /// <summary>SCB v1 metadata by table path.</summary>
    public ConcurrentDictionary<string, string> ScbV1Metadata { get; } = new();

    /// <summary>SCB v1 POST answers: the query (compared without regard to order) and the recorded response.</summary>
    public ConcurrentBag<(JsonNode Query, string Response)> ScbV1Answers { get; } = [];

    public string? ScbV2Config { get; set; }

    /// <summary>SCB v2 data answers: table id and the variables selected → the recorded response.</summary>
    public ConcurrentBag<(string Table, Func<JsonNode, bool> Matches, string Response)> ScbV2Answers { get; } = [];

    /// <summary>Added to every answer (to keep a run busy while a second instance tries its luck).</summary>
    public TimeSpan Latency { get; set; }

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    public void Enqueue(Fault fault) => _faults.Enqueue(fault);

    public void ClearFaults() => _faults.Clear();

    public static string Sample(string relativePath) =>
        File.ReadAllText(Path.Combine(JobsTestApp.DataDir, "api-samples", relativePath));

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value!.TrimStart('/') + request.QueryString;
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync();
        }
        var at = _clock.Elapsed;
        if (Latency > TimeSpan.Zero)
        {
            await Task.Delay(Latency);
        }

        var fault = TakeFault(path);
        int status;
        switch (fault)
        {
            case Fault.Delay d:
                // A server that hangs: answered only after the client has given up.
                await Task.Delay(d.Duration);
                status = await AnswerAsync(context, path, body);
                break;
            case Fault.Status s:
                status = s.Code;
                context.Response.StatusCode = s.Code;
                if (s.RetryAfterSeconds is not null)
                {
                    context.Response.Headers.RetryAfter = s.RetryAfterSeconds;
                }
                await context.Response.WriteAsync($"fault {s.Code}");
                break;
            case Fault.Malformed:
                status = 200;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"values\": [{\"kpi\": \"N01951\", \"municipality\": \"2380\", \"per");
                break;
            default:
                status = await AnswerAsync(context, path, body);
                break;
        }
        _requests.Enqueue(new RecordedRequest(request.Method, path, body, at, status));
    }

    private Fault? TakeFault(string path)
    {
        lock (_faults)
        {
            if (_faults.TryPeek(out var next) && path.StartsWith(next.PathPrefix, StringComparison.Ordinal))
            {
                _faults.TryDequeue(out _);
                return next;
            }
            return null;
        }
    }

    private async Task<int> AnswerAsync(HttpContext context, string path, string body)
    {
        string? answer = null;
        if (path.StartsWith("kolada/v2/", StringComparison.Ordinal))
        {
            KoladaPages.TryGetValue(path["kolada/v2/".Length..], out answer);
        }
        else if (path.StartsWith("scb/OV0104/v1/doris/sv/ssd/", StringComparison.Ordinal))
        {
            var table = path["scb/OV0104/v1/doris/sv/ssd/".Length..];
            if (context.Request.Method == "GET")
            {
                ScbV1Metadata.TryGetValue(table, out answer);
            }
            else
            {
                var query = JsonNode.Parse(body)!;
                answer = ScbV1Answers.FirstOrDefault(a => SameQuery(a.Query, query)).Response;
            }
        }
        else if (path == "scb2/api/v2/config")
        {
            answer = ScbV2Config;
        }
        else if (path.StartsWith("scb2/api/v2/tables/", StringComparison.Ordinal) && context.Request.Method == "POST")
        {
            var table = path["scb2/api/v2/tables/".Length..].Split('/')[0];
            var selection = JsonNode.Parse(body)!;
            answer = ScbV2Answers.FirstOrDefault(a => a.Table == table && a.Matches(selection)).Response;
        }

        if (answer is null)
        {
            context.Response.StatusCode = 404;
            await context.Response.WriteAsync($"no recorded answer for {context.Request.Method} {path} {body}");
            return 404;
        }
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(answer);
        return 200;
    }

    /// <summary>Two PxWeb v1 queries ask for the same cells: the same variables with the same codes, in any order.</summary>
    public static bool SameQuery(JsonNode a, JsonNode b)
    {
        static Dictionary<string, string> Canonical(JsonNode q) => q["query"]!.AsArray().ToDictionary(
            s => s!["code"]!.GetValue<string>(),
            s => s!["selection"]!["filter"]!.GetValue<string>() + ":" + string.Join(',', s!["selection"]!["values"]!.AsArray().Select(v => v!.GetValue<string>()).Order(StringComparer.Ordinal)));
        var ca = Canonical(a);
        var cb = Canonical(b);
        return ca.Count == cb.Count && ca.All(kv => cb.TryGetValue(kv.Key, out var v) && v == kv.Value)
            && a["response"]?["format"]?.GetValue<string>() == b["response"]?["format"]?.GetValue<string>();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
