using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SpatialRegion.Api.Indicators;
using SpatialRegion.Api.Infrastructure;
using SpatialRegion.Api.Jobs;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Jobs;

/// <summary>
/// Refresh jobs end to end: a service instance whose sources are a fake Kolada/SCB on 127.0.0.1, real PostGIS,
/// runs started over HTTP and followed through /api/jobs/runs/{id}. Each test writes indicators of its own.
/// </summary>
public sealed class RefreshJobTests(PostgisFixture db) : IAsyncLifetime
{
    private const string BefolkningNy = "BE/BE0101/BE0101A/BefolkningNy";
    private static readonly string[] JamtlandAreas = ["2303", "2305", "2309", "2313", "2321", "2326", "2361", "2380", "23"];
    private static readonly string[] KoladaIndicators = ["jt-kolada", "jt-k500", "jt-ktimeout", "jt-ktimeout-all", "jt-kmalformed", "jt-k429", "jt-twin", "jt-cron", "jt-notified", "jt-misfire"];
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>How long a hanging source holds its answer: well past the request timeout.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(2 * JobsTestApp.TimeoutSeconds);

    private FakeStatisticsServer _fake = null!;
    private JobsTestApp _app = null!;
    private HttpClient _editor = null!;
    private Dictionary<string, string?> _settings = null!;

    public async ValueTask InitializeAsync()
    {
        _fake = new FakeStatisticsServer();
        _settings = new Dictionary<string, string?>(
            JobsTestApp.Job("v1-json", JobSources.ScbV1, ["jt-pop-v1", "jt-inc-v1"], [], ["2010", "2011", "2012"], format: "json")
            .Concat(JobsTestApp.Job("v1-json-rerun", JobSources.ScbV1, ["jt-pop-v1b", "jt-inc-v1b"], [], ["2010", "2011", "2012"], format: "json"))
            .Concat(JobsTestApp.Job("v1-jsonstat", JobSources.ScbV1, ["jt-men-v1"], [], ["2017"], ["M"], format: "json-stat"))
            .Concat(JobsTestApp.Job("v1-age0", JobSources.ScbV1, ["jt-age0"], ["00"], ["2024"], ["M"], format: "json"))
            .Concat(JobsTestApp.Job("v2-age0", JobSources.ScbV2, ["jt-age0"], ["00"], ["2024"], ["M"]))
            .Concat(JobsTestApp.Job("kolada-partial", JobSources.Kolada, ["jt-partial-ok", "jt-partial-no-kpi", "jt-not-in-catalogue"], JamtlandAreas, ["2020", "2024"]))
            .Concat(KoladaIndicators.SelectMany(i => JobsTestApp.Job("job-" + i, JobSources.Kolada, [i], JamtlandAreas, ["2020", "2024"], ["T", "K", "M"]))));
        _app = new JobsTestApp(db.ConnectionString, _fake, _settings);
        _editor = await _app.EditorClientAsync("refresh-tests");

        var v1 = new ScbReference(BefolkningNy, "TAB638", "BE0101N1");
        await _app.DefineAsync(JobsTestApp.Indicator("jt-pop-v1", new(Scb: v1), ["country"], byGender: false));
        await _app.DefineAsync(JobsTestApp.Indicator("jt-inc-v1", new(Scb: v1 with { ContentsCode = "BE0101N2" }), ["country"], byGender: false));
        await _app.DefineAsync(JobsTestApp.Indicator("jt-pop-v1b", new(Scb: v1), ["country"], byGender: false));
        await _app.DefineAsync(JobsTestApp.Indicator("jt-inc-v1b", new(Scb: v1 with { ContentsCode = "BE0101N2" }), ["country"], byGender: false));
        await _app.DefineAsync(JobsTestApp.Indicator("jt-men-v1", new(Scb: v1), ["country"]));
        await _app.DefineAsync(JobsTestApp.Indicator("jt-age0",
            new(Scb: v1 with { Fixed = new Dictionary<string, string> { ["Civilstand"] = "OG", ["Alder"] = "0" } }), ["country"]));
        foreach (var id in KoladaIndicators)
        {
            await _app.DefineAsync(JobsTestApp.Indicator(id, new(Kolada: new KoladaReference("N01951")), ["municipality", "county"]));
        }

        await _app.DefineAsync(JobsTestApp.Indicator("jt-partial-ok", new(Kolada: new KoladaReference("N01951")), ["municipality", "county"]));
        await _app.DefineAsync(JobsTestApp.Indicator("jt-partial-no-kpi", new(Text: "no Kolada KPI"), ["municipality", "county"]));
        _fake.ScbV1Metadata[BefolkningNy] = FakeStatisticsServer.Sample("scb-pxweb-v1/BefolkningNy.metadata.response.json");
        _fake.ScbV1Answers.Add((JsonNode.Parse(FakeStatisticsServer.Sample("scb-pxweb-v1/BefolkningNy_query_ContentsCode-Tid.request.json"))!,
            FakeStatisticsServer.Sample("scb-pxweb-v1/BefolkningNy_ContentsCode-Tid.response.json")));
        // The JSON-stat 1 and single-cell responses were recorded without their request; SOURCES.md names the selections.
        _fake.ScbV1Answers.Add((V1Query("json-stat", ("Kon", "1"), ("ContentsCode", "BE0101N1"), ("Tid", "2017")),
            FakeStatisticsServer.Sample("scb-pxweb-v1/BefolkningNy_Kon-Tid_jsonstat1.response.json")));
        _fake.ScbV1Answers.Add((V1Query("json", ("Civilstand", "OG"), ("Alder", "0"), ("Kon", "1"), ("ContentsCode", "BE0101N1"), ("Tid", "2024")),
            FakeStatisticsServer.Sample("scb-pxweb-v1/BefolkningNy_Region-Civilstand-Alder-Kon-Tid_single-cell.response.json")));
        _fake.ScbV2Config = FakeStatisticsServer.Sample("scb-pxweb-v2/config.response.json");
        _fake.ScbV2Answers.Add(("TAB638", selection => Selected(selection) == "Alder=0|Civilstand=OG|ContentsCode=BE0101N1|Kon=1|Tid=2024",
            FakeStatisticsServer.Sample("scb-pxweb-v2/TAB638_data_jsonstat2.response.json")));
        foreach (var (path, page) in KoladaPages())
        {
            _fake.KoladaPages[path] = page;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _fake.DisposeAsync();
    }

    [Fact]
    public async Task A_pxweb_v1_json_run_stores_exactly_the_recorded_numbers_with_their_provenance()
    {
        var run = await RunAsync("v1-json");

        Assert.Equal("succeeded", run["status"]!.GetValue<string>());
        Assert.Equal(2, run["requests"]!.GetValue<int>()); // metadata GET + one POST
        Assert.Equal(6, run["inserted"]!.GetValue<int>());

        var recorded = JsonNode.Parse(FakeStatisticsServer.Sample("scb-pxweb-v1/BefolkningNy_ContentsCode-Tid.response.json"))!;
        foreach (var row in recorded["data"]!.AsArray())
        {
            var year = row!["key"]![0]!.GetValue<string>();
            Assert.Equal(decimal.Parse(row["values"]![0]!.GetValue<string>(), CultureInfo.InvariantCulture), await StoredAsync("jt-pop-v1", "00", year, "T"));
            Assert.Equal(decimal.Parse(row["values"]![1]!.GetValue<string>(), CultureInfo.InvariantCulture), await StoredAsync("jt-inc-v1", "00", year, "T"));
        }
        Assert.Equal(9415570m, await StoredAsync("jt-pop-v1", "00", "2010", "T"));

        var provenance = await db.ScalarAsync<string>(
            "SELECT source || '|' || api_version || '|' || run_id FROM indicator_values WHERE indicator_id = 'jt-pop-v1' AND period = '2011'");
        Assert.Equal($"SCB|pxweb-v1|{run["id"]!.GetValue<long>()}", provenance);
    }

    [Fact]
    public async Task A_second_run_over_unchanged_source_data_changes_nothing()
    {
        Assert.Equal("succeeded", (await RunAsync("v1-json-rerun"))["status"]!.GetValue<string>());
        var versionBefore = await db.ScalarAsync<long>("SELECT version FROM indicators WHERE id = 'jt-pop-v1b'");
        var historyBefore = await db.ScalarAsync<long>("SELECT count(*) FROM indicator_value_history WHERE indicator_id = 'jt-pop-v1b'");

        var again = await RunAsync("v1-json-rerun");

        Assert.Equal("succeeded", again["status"]!.GetValue<string>());
        Assert.Equal(0, again["inserted"]!.GetValue<int>());
        Assert.Equal(0, again["updated"]!.GetValue<int>());
        Assert.Equal(6, again["unchanged"]!.GetValue<int>());
        Assert.Equal(versionBefore, await db.ScalarAsync<long>("SELECT version FROM indicators WHERE id = 'jt-pop-v1b'"));
        Assert.Equal(historyBefore, await db.ScalarAsync<long>("SELECT count(*) FROM indicator_value_history WHERE indicator_id = 'jt-pop-v1b'"));
    }

    [Fact]
    public async Task A_json_stat_1_answer_is_read_by_gender()
    {
        var run = await RunAsync("v1-jsonstat");

        Assert.Equal("succeeded", run["status"]!.GetValue<string>());
        var recorded = JsonNode.Parse(FakeStatisticsServer.Sample("scb-pxweb-v1/BefolkningNy_Kon-Tid_jsonstat1.response.json"))!;
        Assert.Equal(recorded["dataset"]!["value"]![0]!.GetValue<decimal>(), await StoredAsync("jt-men-v1", "00", "2017", "M"));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM indicator_values WHERE indicator_id = 'jt-men-v1' AND gender <> 'M'"));
    }

    [Fact]
    public async Task PxWebApi_2_json_stat_2_and_v1_give_the_same_cell_and_the_second_changes_nothing()
    {
        var v2 = await RunAsync("v2-age0");
        Assert.Equal("succeeded", v2["status"]!.GetValue<string>());
        var recorded = JsonNode.Parse(FakeStatisticsServer.Sample("scb-pxweb-v2/TAB638_data_jsonstat2.response.json"))!;
        Assert.Equal(recorded["value"]![0]!.GetValue<decimal>(), await StoredAsync("jt-age0", "00", "2024", "M"));
        Assert.Equal("pxwebapi-2.3.2", await db.ScalarAsync<string>("SELECT api_version FROM indicator_values WHERE indicator_id = 'jt-age0'"));
        // /config came first: its limits govern the data request.
        var v2Requests = _fake.Requests.Where(r => r.PathAndQuery.StartsWith("scb2/", StringComparison.Ordinal)).ToList();
        Assert.Equal("scb2/api/v2/config", v2Requests[0].PathAndQuery);
        Assert.Contains("outputFormat=json-stat2", v2Requests[1].PathAndQuery);

        var v1 = await RunAsync("v1-age0");
        Assert.Equal("succeeded", v1["status"]!.GetValue<string>());
        Assert.Equal(0, v1["inserted"]!.GetValue<int>() + v1["updated"]!.GetValue<int>());
        Assert.Equal(1, v1["unchanged"]!.GetValue<int>());
    }

    [Fact]
    public async Task Kolada_pages_are_all_read_groups_are_dropped_and_missing_values_stay_null()
    {
        var run = await RunAsync("job-jt-kolada");

        Assert.Equal("succeeded", run["status"]!.GetValue<string>());
        Assert.Equal(3, _fake.Requests.Count(r => r.PathAndQuery.StartsWith("kolada/", StringComparison.Ordinal)));
        foreach (var (area, period, gender, value) in RealPopulation())
        {
            Assert.Equal(value, await StoredAsync("jt-kolada", area, period, gender));
        }
        // Page 3 held the county, written by Kolada as 0023.
        Assert.Equal(132839m, await StoredAsync("jt-kolada", "23", "2024", "T"));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM indicator_values WHERE indicator_id = 'jt-kolada' AND area_code LIKE 'G%'"));
        Assert.Equal("missing", await db.ScalarAsync<string>(
            "SELECT status FROM indicator_values WHERE indicator_id = 'jt-kolada' AND area_code = '2380' AND period = '2024' AND gender = 'K' AND value IS NULL"));
        Assert.Equal("Kolada|kolada-v2", await db.ScalarAsync<string>(
            "SELECT DISTINCT source || '|' || api_version FROM indicator_values WHERE indicator_id = 'jt-kolada'"));
    }

    [Fact]
    public async Task The_fake_Kolada_pages_follow_the_schema_of_the_documented_response()
    {
        var schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(JobsTestApp.DataDir, "api-samples", "kolada", "kolada_v2_data_response.schema.json")));
        foreach (var (path, page) in KoladaPages())
        {
            var result = schema.Evaluate(JsonDocument.Parse(page).RootElement);
            Assert.True(result.IsValid, $"{path} does not follow the schema");
        }
    }

    [Fact]
    public async Task A_run_where_some_indicators_fail_is_partial_and_names_each_reason()
    {
        var run = await RunAsync("kolada-partial");

        Assert.Equal("partial", run["status"]!.GetValue<string>());
        var outcomes = run["indicators"]!.AsArray().ToDictionary(o => o!["indicator"]!.GetValue<string>(), o => o!["status"]!.GetValue<string>());
        Assert.Equal("succeeded", outcomes["jt-partial-ok"]);
        Assert.Equal("failed", outcomes["jt-partial-no-kpi"]);
        Assert.Equal("failed", outcomes["jt-not-in-catalogue"]);
        var error = run["error"]!.GetValue<string>();
        Assert.Contains("jt-partial-no-kpi: its source reference names no Kolada KPI", error);
        Assert.Contains("jt-not-in-catalogue: indicator 'jt-not-in-catalogue' is not in the catalogue", error);
        Assert.Equal(64979m, await StoredAsync("jt-partial-ok", "2380", "2024", "T"));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM indicator_values WHERE indicator_id = 'jt-partial-no-kpi'"));
    }

    [Fact]
    public async Task Values_a_run_writes_in_one_instance_are_served_at_once_by_another()
    {
        // The fixture's service is another instance on the same database: it serves the catalogue from memory and
        // keeps rendered values in its response cache, keyed by the indicator's version.
        var other = db.CreateClient();
        const string url = "/api/indicators/jt-notified/values?area=2380&from=2024&to=2024";
        await EventuallyAsync(async () => (await other.GetAsync(url, Ct)).StatusCode == HttpStatusCode.OK, "the definition reaches the other instance");
        Assert.Empty((await other.GetJsonAsync(url))["values"]!.AsArray());

        Assert.Equal("succeeded", (await RunAsync("job-jt-notified"))["status"]!.GetValue<string>());

        await EventuallyAsync(async () => (await other.GetJsonAsync(url))["values"]!.AsArray().Count > 0, "the values reach the other instance");
        Assert.Equal(64979m, (await other.GetJsonAsync(url))["values"]![0]!["value"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task A_500_is_retried_and_the_run_succeeds()
    {
        _fake.Enqueue(new Fault.Status("kolada/", 500));
        var run = await RunAsync("job-jt-k500");

        Assert.Equal("succeeded", run["status"]!.GetValue<string>());
        Assert.Equal(4, run["requests"]!.GetValue<int>()); // the 500 and three pages
        Assert.Equal(64979m, await StoredAsync("jt-k500", "2380", "2024", "T"));
    }

    [Fact]
    public async Task A_request_that_hangs_times_out_and_is_retried()
    {
        _fake.Enqueue(new Fault.Delay("kolada/", Hang));
        var run = await RunAsync("job-jt-ktimeout");

        Assert.Equal("succeeded", run["status"]!.GetValue<string>());
        Assert.Equal(4, run["requests"]!.GetValue<int>());
        Assert.Equal(64979m, await StoredAsync("jt-ktimeout", "2380", "2024", "T"));
    }

    [Fact]
    public async Task A_source_that_keeps_timing_out_fails_the_run_and_leaves_the_values_as_they_were()
    {
        Assert.Equal("succeeded", (await RunAsync("job-jt-ktimeout-all"))["status"]!.GetValue<string>());
        var before = await SnapshotAsync("jt-ktimeout-all");
        for (var i = 0; i < 3; i++)
        {
            _fake.Enqueue(new Fault.Delay("kolada/", Hang));
        }

        var run = await RunAsync("job-jt-ktimeout-all");

        Assert.Equal("failed", run["status"]!.GetValue<string>());
        Assert.Contains("timed out", run["error"]!.GetValue<string>());
        Assert.Equal(3, run["requests"]!.GetValue<int>());
        Assert.Equal(before, await SnapshotAsync("jt-ktimeout-all"));
    }

    [Fact]
    public async Task Malformed_json_fails_the_run_with_the_reason_and_keeps_the_old_values()
    {
        Assert.Equal("succeeded", (await RunAsync("job-jt-kmalformed"))["status"]!.GetValue<string>());
        var before = await SnapshotAsync("jt-kmalformed");
        var layerVersion = await db.ScalarAsync<long>("SELECT version FROM layers WHERE id = 'indicator-jt-kmalformed'");
        // Page 1 is fine, page 2 is cut off: nothing of page 1 may be written either.
        _fake.Enqueue(new Fault.Malformed("kolada/v2/" + KoladaPages().ElementAt(1).Path));

        var run = await RunAsync("job-jt-kmalformed");

        Assert.Equal("failed", run["status"]!.GetValue<string>());
        Assert.Contains("malformed JSON", run["error"]!.GetValue<string>());
        Assert.Equal("failed", run["indicators"]![0]!["status"]!.GetValue<string>());
        Assert.Equal(before, await SnapshotAsync("jt-kmalformed"));
        Assert.Equal(layerVersion, await db.ScalarAsync<long>("SELECT version FROM layers WHERE id = 'indicator-jt-kmalformed'"));
    }

    [Fact]
    public async Task A_429_is_answered_by_waiting_as_long_as_Retry_After_says()
    {
        _fake.Enqueue(new Fault.Status("kolada/", 429, RetryAfterSeconds: "1"));
        var run = await RunAsync("job-jt-k429");

        Assert.Equal("succeeded", run["status"]!.GetValue<string>());
        var kolada = _fake.Requests.Where(r => r.PathAndQuery.StartsWith("kolada/", StringComparison.Ordinal)).ToList();
        var refused = kolada.Single(r => r.Status == 429);
        var retry = kolada.First(r => r.At > refused.At);
        // The backoff of these tests is 50 ms; only Retry-After explains a wait of a second.
        Assert.True(retry.At - refused.At >= TimeSpan.FromSeconds(0.95), $"retried after {(retry.At - refused.At).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Two_instances_on_one_database_run_a_scheduled_occurrence_once()
    {
        // The requests are counted, so none may time out and be retried on a busy machine: this is not a timeout test.
        var patient = new Dictionary<string, string?>(_settings) { ["Jobs:Kolada:TimeoutSeconds"] = "30" };
        await using var first = new JobsTestApp(db.ConnectionString, _fake, patient);
        await using var second = new JobsTestApp(db.ConnectionString, _fake, patient);
        _ = (first.Server, second.Server);
        var occurrence = new DateTimeOffset(2031, 1, 6, 5, 30, 0, TimeSpan.Zero);
        var requestsBefore = _fake.Requests.Count;

        var results = await Task.WhenAll(
            first.Services.GetRequiredService<JobRunner>().RunScheduledAsync("job-jt-twin", occurrence, Ct),
            second.Services.GetRequiredService<JobRunner>().RunScheduledAsync("job-jt-twin", occurrence, Ct));

        Assert.Single(results, r => r is not null);
        Assert.Equal(1, await db.ScalarAsync<long>(
            "SELECT count(*) FROM job_runs WHERE job_id = 'job-jt-twin' AND scheduled_for = $1", occurrence.UtcDateTime));
        var requests = _fake.Requests.Skip(requestsBefore).ToList();
        Assert.True(requests.Count == 3, string.Join("; ", requests.Select(r => $"{r.At} {r.Status} {r.PathAndQuery}")));
        Assert.Equal("succeeded", await db.ScalarAsync<string>("SELECT status FROM job_runs WHERE id = $1", results.Single(r => r is not null)!.Value));
    }

    [Fact]
    public async Task Two_instances_triggered_together_start_one_run_and_the_other_answers_409()
    {
        await using var second = new JobsTestApp(db.ConnectionString, _fake, _settings);
        var secondEditor = await second.EditorClientAsync("refresh-tests-second");
        _fake.Latency = TimeSpan.FromMilliseconds(300);
        try
        {
            var responses = await Task.WhenAll(
                _editor.PostAsync("/api/jobs/job-jt-twin/runs", null, Ct),
                secondEditor.PostAsync("/api/jobs/job-jt-twin/runs", null, Ct));
            var statuses = responses.Select(r => r.StatusCode).Order().ToList();
            Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Conflict], statuses);
            var conflict = JsonNode.Parse(await responses.Single(r => r.StatusCode == HttpStatusCode.Conflict).Content.ReadAsStringAsync(Ct))!;
            var accepted = JsonNode.Parse(await responses.Single(r => r.StatusCode == HttpStatusCode.Accepted).Content.ReadAsStringAsync(Ct))!;
            Assert.Equal(accepted["id"]!.GetValue<long>(), conflict["runningRunId"]!.GetValue<long>());
            await WaitAsync(accepted["id"]!.GetValue<long>());
        }
        finally
        {
            _fake.Latency = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task The_scheduler_starts_a_job_at_its_cron_time()
    {
        var settings = new Dictionary<string, string?>(_settings)
        {
            ["Jobs:SchedulerEnabled"] = "true",
            ["Jobs:Definitions:job-jt-cron:Schedule"] = "*/2 * * * * *",
        };
        await using var scheduled = new JobsTestApp(db.ConnectionString, _fake, settings);
        _ = scheduled.Server;
        var stopwatch = Stopwatch.StartNew();
        string? status = null;
        while (stopwatch.Elapsed < TimeSpan.FromSeconds(20) && status is not ("succeeded" or "failed" or "partial"))
        {
            await Task.Delay(200, Ct);
            await using var cmd = db.DataSource.CreateCommand(
                "SELECT status FROM job_runs WHERE job_id = 'job-jt-cron' AND trigger = 'schedule' ORDER BY id LIMIT 1");
            status = await cmd.ExecuteScalarAsync(Ct) as string;
        }
        Assert.Equal("succeeded", status);
        var jobs = await scheduled.CreateClient().GetJsonAsync("/api/jobs/job-jt-cron");
        Assert.Equal("Europe/Stockholm", jobs["timeZone"]!.GetValue<string>());
        Assert.NotNull(jobs["nextRun"]);
    }

    [Fact]
    public async Task An_occurrence_missed_while_the_service_was_down_runs_once_when_it_is_back_and_says_it_ran_late()
    {
        // Daily, three hours before now (Stockholm time): the missed occurrence is certainly hours old.
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Stockholm");
        var now = DateTimeOffset.UtcNow;
        var daily = TimeZoneInfo.ConvertTime(now.AddHours(-3), zone);
        var schedule = string.Create(CultureInfo.InvariantCulture, $"{daily.Minute} {daily.Hour} * * *");
        var settings = new Dictionary<string, string?>(_settings) { ["Jobs:Definitions:job-jt-misfire:Schedule"] = schedule };
        var occurrences = JobSchedules.TryParse(schedule)!.GetOccurrences(now.AddDays(-4), now, zone).ToList();
        var (ranLast, missed) = (occurrences[0], occurrences[^1]);
        Assert.True(occurrences.Count >= 4);
        // The job ran on schedule four days ago; then no instance was up for three of its occurrences.
        await db.ScalarAsync<long>("""
            INSERT INTO job_runs (job_id, trigger, scheduled_for, instance, status, started_at, finished_at)
            VALUES ('job-jt-misfire', 'schedule', $1, 'before', 'succeeded', $1, $1) RETURNING id
            """, ranLast.UtcDateTime);

        // Two instances come back at once: one or both find the missed occurrence (the first claim hides it from a
        // later look), and one runs it.
        await using var first = new JobsTestApp(db.ConnectionString, _fake, settings);
        await using var second = new JobsTestApp(db.ConnectionString, _fake, settings);
        var caughtUp = await Task.WhenAll(
            first.Services.GetRequiredService<JobScheduler>().CatchUpAsync(Ct),
            second.Services.GetRequiredService<JobScheduler>().CatchUpAsync(Ct));
        Assert.Contains(("job-jt-misfire", missed), caughtUp.SelectMany(c => c));
        Assert.All(caughtUp.SelectMany(c => c), c => Assert.Equal(("job-jt-misfire", missed), c));
        string? status = null;
        for (var waited = Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(20) && status is null or "queued" or "running";)
        {
            await Task.Delay(100, Ct);
            await using var cmd = db.DataSource.CreateCommand("SELECT status FROM job_runs WHERE job_id = 'job-jt-misfire' AND scheduled_for = $1");
            cmd.Parameters.Add(new NpgsqlParameter { Value = missed.UtcDateTime });
            status = await cmd.ExecuteScalarAsync(Ct) as string;
        }
        Assert.Equal("succeeded", status);
        Assert.Equal(1L, await db.ScalarAsync<long>(
            "SELECT count(*) FROM job_runs WHERE job_id = 'job-jt-misfire' AND scheduled_for > $1", ranLast.UtcDateTime));
        var runs = await first.CreateClient().GetStringAsync("/api/jobs/job-jt-misfire/runs", Ct);
        var latest = JsonNode.Parse(runs)!.AsArray()[0]!;
        Assert.Equal(missed, latest["scheduledFor"]!.GetValue<DateTimeOffset>());
        Assert.True(latest["late"]!.GetValue<bool>());

        // Back again with nothing missed since: nothing runs.
        Assert.Empty(await first.Services.GetRequiredService<JobScheduler>().CatchUpAsync(Ct));
    }

    [Fact]
    public async Task Starting_a_run_needs_an_editor_key()
    {
        var anonymous = _app.CreateClient();
        var (status, type, body) = await PostProblemAsync(anonymous, "/api/jobs/v1-json/runs");
        Assert.Equal(401, status);
        Assert.Equal("application/problem+json", type);
        Assert.NotNull(body["title"]);

        var wrongKey = _app.CreateClient();
        wrongKey.DefaultRequestHeaders.Add("X-Api-Key", "not-a-key");
        Assert.Equal(401, (await PostProblemAsync(wrongKey, "/api/jobs/v1-json/runs")).Status);

        Assert.Equal(404, (await PostProblemAsync(_editor, "/api/jobs/no-such-job/runs")).Status);
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM job_runs WHERE job_id = 'no-such-job'"));
    }

    [Fact]
    public async Task Jobs_and_runs_are_listed_with_what_they_did()
    {
        var run = await RunAsync("v1-jsonstat");
        var client = _app.CreateClient();

        var jobs = (await client.GetFromJsonArrayAsync("/api/jobs")).Select(j => j!["id"]!.GetValue<string>()).ToList();
        Assert.Contains("v1-jsonstat", jobs);
        var runs = await client.GetFromJsonArrayAsync("/api/jobs/v1-jsonstat/runs");
        Assert.Contains(runs, r => r!["id"]!.GetValue<long>() == run["id"]!.GetValue<long>());
        Assert.NotNull(run["startedAt"]);
        Assert.NotNull(run["finishedAt"]);
        Assert.Equal("manual", run["trigger"]!.GetValue<string>());
        Assert.Equal(404, (await client.GetProblemAsync("/api/jobs/runs/999999999")).Status);
    }

    [Fact]
    public async Task A_job_shows_its_latest_run_and_its_runs_take_a_checked_limit()
    {
        var run = await RunAsync("v1-jsonstat");
        var id = run["id"]!.GetValue<long>();
        var client = _app.CreateClient();

        Assert.Equal(id, (await client.GetJsonAsync("/api/jobs/v1-jsonstat"))["lastRun"]!["id"]!.GetValue<long>());
        var listed = (await client.GetFromJsonArrayAsync("/api/jobs")).Single(j => j!["id"]!.GetValue<string>() == "v1-jsonstat")!;
        Assert.Equal(id, listed["lastRun"]!["id"]!.GetValue<long>());
        Assert.Equal(id, Assert.Single(await client.GetFromJsonArrayAsync("/api/jobs/v1-jsonstat/runs?limit=1"))!["id"]!.GetValue<long>());
        foreach (var limit in new[] { "0", "1001", "many" })
        {
            var (status, _, body) = await client.GetProblemAsync($"/api/jobs/v1-jsonstat/runs?limit={limit}");
            Assert.Equal(400, status);
            Assert.Equal("limit", body["parameter"]!.GetValue<string>());
        }
    }

    private async Task<JsonObject> RunAsync(string jobId)
    {
        using var response = await _editor.PostAsync($"/api/jobs/{jobId}/runs", null, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST runs of {jobId}: {(int)response.StatusCode} {text}");
        Assert.StartsWith("/api/jobs/runs/", response.Headers.Location!.ToString());
        return await WaitAsync(JsonNode.Parse(text)!["id"]!.GetValue<long>());
    }

    private async Task<JsonObject> WaitAsync(long runId)
    {
        var client = _app.CreateClient();
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            var run = await client.GetJsonAsync($"/api/jobs/runs/{runId}");
            if (run["status"]!.GetValue<string>() is not ("running" or "queued"))
            {
                return run;
            }
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), $"run {runId} still running");
            await Task.Delay(50, Ct);
        }
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"after 10 s, still not: {what}");
            await Task.Delay(50, Ct);
        }
    }

    private async Task<decimal?> StoredAsync(string indicator, string area, string period, string gender)
    {
        await using var cmd = db.DataSource.CreateCommand(
            "SELECT value FROM indicator_values WHERE indicator_id = $1 AND area_code = $2 AND period = $3 AND gender = $4");
        foreach (var v in new[] { indicator, area, period, gender })
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = v });
        }
        return await cmd.ExecuteScalarAsync(Ct) as decimal?;
    }

    private async Task<string> SnapshotAsync(string indicator)
    {
        await using var cmd = db.DataSource.CreateCommand("""
            SELECT string_agg(concat_ws('|', area_code, period, gender, value, status, retrieved_at, run_id), ';' ORDER BY area_code, period, gender)
            FROM indicator_values WHERE indicator_id = $1
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = indicator });
        return (string)(await cmd.ExecuteScalarAsync(Ct))!;
    }

    private static async Task<(int Status, string? Type, JsonObject Body)> PostProblemAsync(HttpClient client, string url)
    {
        using var response = await client.PostAsync(url, null, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text.Length == 0 ? [] : JsonNode.Parse(text)!.AsObject());
    }

    private static JsonNode V1Query(string format, params (string Code, string Value)[] selections) => new JsonObject
    {
        ["query"] = new JsonArray(selections.Select(s => (JsonNode)new JsonObject
        {
            ["code"] = s.Code,
            ["selection"] = new JsonObject { ["filter"] = "item", ["values"] = new JsonArray(s.Value) },
        }).ToArray()),
        ["response"] = new JsonObject { ["format"] = format },
    };

    private static string Selected(JsonNode selection) => string.Join('|', selection["selection"]!.AsArray()
        .Select(s => s!["variableCode"]!.GetValue<string>() + "=" + string.Join(',', s["valueCodes"]!.AsArray().Select(v => v!.GetValue<string>())))
        .Order(StringComparer.Ordinal));

    /// <summary>The real population figures (SOURCES.md S4) for 2020 (total, women, men) and 2024 (total).</summary>
    private static List<(string Area, string Period, string Gender, decimal Value)> RealPopulation()
    {
        using var reader = new StreamReader(Path.Combine(JobsTestApp.DataDir, "statistics", "se_jamtland_folkmangd_kommun_1990-2024_webtables.csv"));
        return Csv.ReadWithHeader(reader)
            .Select(r => r.Row)
            .Where(r => JamtlandAreas.Contains(r["region_code"]) && r["age_group"] == "total" && (r["date"] == "2020-12-31" || (r["date"] == "2024-12-31" && r["sex"] == "total")))
            .Select(r => (r["region_code"], r["date"][..4], r["sex"] switch { "females" => "K", "males" => "M", _ => "T" }, decimal.Parse(r["population"], CultureInfo.InvariantCulture)))
            .Distinct()
            .ToList();
    }

    /// <summary>
    /// Kolada's answer for N01951, the county's municipalities and the county, 2020 and 2024, in three pages as
    /// Kolada pages (next_page), with the real figures, a municipality group row (to be dropped) and a value not
    /// published yet (null).
    /// </summary>
    private IEnumerable<(string Path, string Page)> KoladaPages()
    {
        var first = $"data/kpi/N01951/municipality/{string.Join(',', JamtlandAreas.Select(AreaCodes.ToKolada))}/year/2020,2024";
        var rows = RealPopulation()
            .GroupBy(p => (p.Area, p.Period))
            .Select(g => new JsonObject
            {
                ["kpi"] = "N01951",
                ["municipality"] = AreaCodes.ToKolada(g.Key.Area),
                ["period"] = int.Parse(g.Key.Period, CultureInfo.InvariantCulture),
                ["values"] = new JsonArray(g.Select(v => (JsonNode)new JsonObject { ["count"] = 1, ["gender"] = v.Gender, ["status"] = "", ["value"] = v.Value })
                    .Concat(g.Key.Period == "2024" && g.Key.Area == "2380" ? [new JsonObject { ["count"] = 1, ["gender"] = "K", ["status"] = "", ["value"] = null }] : [])
                    .ToArray()),
            })
            .OrderBy(r => r["municipality"]!.GetValue<string>() == "0023" ? 1 : 0)
            .ToList<JsonNode>();
        rows.Insert(7, new JsonObject
        {
            ["kpi"] = "N01951", ["municipality"] = "G154736", ["period"] = 2024,
            ["values"] = new JsonArray(new JsonObject { ["count"] = 8, ["gender"] = "T", ["status"] = "", ["value"] = 16605.375 }),
        });
        var chunks = rows.Chunk((rows.Count + 2) / 3).ToList();
        for (var i = 0; i < chunks.Count; i++)
        {
            var path = i == 0 ? first : $"{first}?page={i + 1}";
            var page = new JsonObject { ["count"] = chunks[i].Length, ["values"] = new JsonArray(chunks[i].Select(r => r.DeepClone()).ToArray()) };
            if (i > 0)
            {
                page["previous_page"] = _fake.KoladaBase + (i == 1 ? first : $"{first}?page={i}");
            }
            if (i < chunks.Count - 1)
            {
                page["next_page"] = $"{_fake.KoladaBase}{first}?page={i + 2}";
            }
            yield return (path, page.ToJsonString());
        }
    }
}

internal static class JsonArrayHttp
{
    public static async Task<JsonArray> GetFromJsonArrayAsync(this HttpClient client, string url)
    {
        var text = await client.GetStringAsync(url, TestContext.Current.CancellationToken);
        return JsonNode.Parse(text)!.AsArray();
    }
}
