using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace SpatialRegion.Api.Jobs.Sources;

/// <summary>
/// The HTTP clients of the sources. Each gets, from the outside in: a retry (exponential backoff with jitter on
/// 5xx, 408, 429 and timeouts, waiting as long as Retry-After says), a timeout per attempt, the source's
/// self-throttle, and the count of requests made for the run's record.
/// </summary>
public static class SourceHttp
{
    public static IServiceCollection AddIndicatorSources(this IServiceCollection services)
    {
        services.AddSingleton<SourceThrottles>();
        services.AddTransient<RequestCountingHandler>();
        Add<KoladaClient>(services, JobSources.Kolada, o => o.Kolada);
        Add<ScbV1Client>(services, JobSources.ScbV1, o => o.ScbV1, retryForbidden: true);
        Add<ScbV2Client>(services, JobSources.ScbV2, o => o.ScbV2);
        // Keyed by the name a job's Source gives, and transient like the typed clients they are: a run creates only
        // the client it uses, from the factory's current handlers.
        services.AddKeyedTransient<IIndicatorSource>(JobSources.Kolada, (sp, _) => sp.GetRequiredService<KoladaClient>());
        services.AddKeyedTransient<IIndicatorSource>(JobSources.ScbV1, (sp, _) => sp.GetRequiredService<ScbV1Client>());
        services.AddKeyedTransient<IIndicatorSource>(JobSources.ScbV2, (sp, _) => sp.GetRequiredService<ScbV2Client>());
        return services;
    }

    private static void Add<TClient>(IServiceCollection services, string name, Func<JobsOptions, SourceOptions> select, bool retryForbidden = false)
        where TClient : class
    {
        var builder = services.AddHttpClient<TClient>(name, (sp, client) =>
            {
                var options = select(sp.GetRequiredService<IOptions<JobsOptions>>().Value);
                client.BaseAddress = new Uri(options.BaseUrl);
                // Attempts are bounded by the pipeline's timeouts; this only stops a pathological total.
                client.Timeout = TimeSpan.FromSeconds((options.TimeoutSeconds * (options.MaxRetries + 1)) + 600);
                client.DefaultRequestHeaders.UserAgent.ParseAdd("SpatialRegion/1.0 (Region Jamtland Harjedalen)");
            });
        builder.AddResilienceHandler(name, (pipeline, context) =>
            {
                var options = select(context.ServiceProvider.GetRequiredService<IOptions<JobsOptions>>().Value);
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = options.MaxRetries,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromSeconds(options.RetryBaseDelaySeconds),
                    MaxDelay = TimeSpan.FromMinutes(2),
                    ShouldRetryAfterHeader = true,
                    ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, retryForbidden)),
                });
                pipeline.AddTimeout(TimeSpan.FromSeconds(options.TimeoutSeconds));
            });
        // Inside the retry: every attempt waits its turn and is counted.
        builder.AddHttpMessageHandler(sp => new ThrottlingHandler(sp.GetRequiredService<SourceThrottles>().For(name, () =>
                select(sp.GetRequiredService<IOptions<JobsOptions>>().Value))))
            .AddHttpMessageHandler<RequestCountingHandler>();
    }

    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, bool retryForbidden) => outcome switch
    {
        { Exception: HttpRequestException or Polly.Timeout.TimeoutRejectedException } => true,
        { Exception: OperationCanceledException } => false,
        { Result: { } r } => (int)r.StatusCode >= 500 || r.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests
            // SCB's v1 API answers 403 when the caller exceeds its rate.
            || (retryForbidden && r.StatusCode == HttpStatusCode.Forbidden),
        _ => false,
    };
}

/// <summary>Counts the requests a run makes (every attempt, retries included), for the run's record.</summary>
public sealed class RequestCountingHandler : DelegatingHandler
{
    private static readonly AsyncLocal<RunCounter?> CurrentCounter = new();

    public static RunCounter? Current
    {
        get => CurrentCounter.Value;
        set => CurrentCounter.Value = value;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Current?.Increment();
        return base.SendAsync(request, cancellationToken);
    }
}

public sealed class RunCounter
{
    private int _requests;

    public int Requests => Volatile.Read(ref _requests);

    public void Increment() => Interlocked.Increment(ref _requests);
}

/// <summary>One throttle per source, shared by every job and run of this instance.</summary>
public sealed class SourceThrottles
{
    private readonly Dictionary<string, RequestThrottle> _throttles = [];

    public RequestThrottle For(string source, Func<SourceOptions> options)
    {
        lock (_throttles)
        {
            if (!_throttles.TryGetValue(source, out var throttle))
            {
                var o = options();
                throttle = new RequestThrottle(o.CallsPerWindow, TimeSpan.FromSeconds(o.WindowSeconds));
                _throttles[source] = throttle;
            }
            return throttle;
        }
    }
}

/// <summary>
/// A sliding-window limit: at most N calls in any window of the given length. A call that would exceed it waits
/// until the oldest call of the window has left it. The limit can be changed (SCB v2 publishes its own in /config).
/// </summary>
public sealed class RequestThrottle(int calls, TimeSpan window, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Queue<long> _starts = new();
    private readonly SemaphoreSlim _gate = new(1, 1);

    public int Calls { get; private set; } = calls;

    public TimeSpan Window { get; private set; } = window;

    public void SetLimit(int calls, TimeSpan window)
    {
        Calls = Math.Max(1, calls);
        Window = window;
    }

    public async Task WaitAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            while (true)
            {
                var now = _time.GetTimestamp();
                while (_starts.Count > 0 && _time.GetElapsedTime(_starts.Peek(), now) >= Window)
                {
                    _starts.Dequeue();
                }
                if (_starts.Count < Calls)
                {
                    _starts.Enqueue(now);
                    return;
                }
                await Task.Delay(Window - _time.GetElapsedTime(_starts.Peek(), now), _time, ct);
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}

public sealed class ThrottlingHandler(RequestThrottle throttle) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await throttle.WaitAsync(cancellationToken);
        return await base.SendAsync(request, cancellationToken);
    }
}
