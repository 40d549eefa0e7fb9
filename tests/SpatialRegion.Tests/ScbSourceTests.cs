using System.Text.Json;
using SpatialRegion.Api.Infrastructure;
using SpatialRegion.Api.Jobs;
using SpatialRegion.Api.Jobs.Sources;

namespace SpatialRegion.Tests;

/// <summary>The SCB readers on the responses recorded from the real API, and the query splitter.</summary>
public sealed class ScbSourceTests
{
    private static JsonElement Sample(string path)
    {
        var dir = DataDirectory.Resolve(null, AppContext.BaseDirectory);
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "api-samples", path))).RootElement;
    }

    [Fact]
    public void PxWeb_json_cells_carry_every_key_and_contents_code()
    {
        var cells = ScbCells.FromPxWebJson(Sample("scb-pxweb-v1/BefolkningNy_ContentsCode-Tid.response.json"));
        Assert.Equal(6, cells.Count);
        var increase2011 = cells.Single(c => c.Codes["Tid"] == "2011" && c.Codes["ContentsCode"] == "BE0101N2");
        Assert.Equal("67285", increase2011.Value);

        var byStatus = ScbCells.FromPxWebJson(Sample("scb-pxweb-v1/BefolkningNy_Civilstand-Tid.response.json"));
        Assert.Equal(12, byStatus.Count);
        Assert.Equal("435643", byStatus.Single(c => c.Codes["Civilstand"] == "ÄNKL" && c.Codes["Tid"] == "2017").Value);
    }

    [Fact]
    public void Json_stat_1_and_2_are_read_alike()
    {
        var v1 = Assert.Single(ScbCells.FromJsonStat(Sample("scb-pxweb-v1/BefolkningNy_Kon-Tid_jsonstat1.response.json")));
        Assert.Equal(("1", "BE0101N1", "2017", "5082662"), (v1.Codes["Kon"], v1.Codes["ContentsCode"], v1.Codes["Tid"], v1.Value));

        var v2 = Assert.Single(ScbCells.FromJsonStat(Sample("scb-pxweb-v2/TAB638_data_jsonstat2.response.json")));
        Assert.Equal(("00", "OG", "0", "1", "2024", "50937"), (v2.Codes["Region"], v2.Codes["Civilstand"], v2.Codes["Alder"], v2.Codes["Kon"], v2.Codes["Tid"], v2.Value));
        var v1Cell = Assert.Single(ScbCells.FromPxWebJson(Sample("scb-pxweb-v1/BefolkningNy_Region-Civilstand-Alder-Kon-Tid_single-cell.response.json")));
        Assert.Equal(v2.Value, v1Cell.Value);
    }

    [Fact]
    public void Json_stat_values_follow_row_major_order_over_the_dimension_ids()
    {
        var json = """
            {"version":"2.0","class":"dataset","id":["Region","Tid"],"size":[2,3],
             "dimension":{"Region":{"category":{"index":{"2380":0,"2303":1}}},"Tid":{"category":{"index":["2022","2023","2024"]}}},
             "value":[1,2,3,4,null,6],"status":{"4":".."}}
            """;
        var cells = ScbCells.FromJsonStat(JsonDocument.Parse(json).RootElement);
        Assert.Equal("3", cells.Single(c => c.Codes["Region"] == "2380" && c.Codes["Tid"] == "2024").Value);
        Assert.Equal("4", cells.Single(c => c.Codes["Region"] == "2303" && c.Codes["Tid"] == "2022").Value);
        var missing = cells.Single(c => c.Codes["Region"] == "2303" && c.Codes["Tid"] == "2023");
        Assert.Null(missing.Value);
        Assert.Equal("..", missing.Status);
    }

    [Fact]
    public void A_dataset_whose_values_do_not_match_its_sizes_is_refused()
    {
        var json = """{"version":"2.0","id":["Tid"],"size":[3],"dimension":{"Tid":{"category":{"index":["1","2","3"]}}},"value":[1,2]}""";
        Assert.Throws<SourceFormatException>(() => ScbCells.FromJsonStat(JsonDocument.Parse(json).RootElement));
    }

    [Fact]
    public void Queries_are_split_below_the_cell_limit_by_region_first_then_by_period()
    {
        var regions = Enumerable.Range(0, 290).Select(i => i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var years = Enumerable.Range(1968, 57).Select(y => y.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();

        Assert.Single(ScbQueries.Split(regions, years, 2, 150_000));
        var byRegion = ScbQueries.Split(regions, years, 2, 10_000);
        Assert.All(byRegion, q => Assert.True(q.Regions.Count * q.Times.Count * 2 <= 10_000));
        Assert.Equal(regions, byRegion.SelectMany(q => q.Regions));
        Assert.All(byRegion, q => Assert.Equal(57, q.Times.Count));

        var byTime = ScbQueries.Split(regions.Take(2).ToList(), years, 10, 100);
        Assert.All(byTime, q => Assert.True(q.Regions.Count * q.Times.Count * 10 <= 100));
        Assert.Equal(2 * 57, byTime.Sum(q => q.Regions.Count * q.Times.Count));
        Assert.Throws<SourceRequestException>(() => ScbQueries.Split(regions, years, 200, 100));
    }

    [Fact]
    public async Task The_throttle_lets_no_more_calls_through_than_the_window_allows()
    {
        var time = new ManualTime();
        var throttle = new RequestThrottle(3, TimeSpan.FromSeconds(10), time);
        for (var i = 0; i < 3; i++)
        {
            await throttle.WaitAsync(TestContext.Current.CancellationToken);
        }
        var fourth = throttle.WaitAsync(TestContext.Current.CancellationToken);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(fourth.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(10));
        await fourth.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Cron_schedules_take_five_fields_or_six_with_seconds()
    {
        Assert.NotNull(JobSchedules.TryParse("30 6 * * 1"));
        Assert.NotNull(JobSchedules.TryParse("*/2 * * * * *"));
        Assert.Null(JobSchedules.TryParse("every monday"));
        var cron = JobSchedules.TryParse("30 6 * * *")!;
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Stockholm");
        // 06:30 in Stockholm is 05:30 UTC in winter and 04:30 UTC in summer.
        Assert.Equal(new DateTimeOffset(2025, 1, 15, 5, 30, 0, TimeSpan.Zero), cron.GetNextOccurrence(new DateTimeOffset(2025, 1, 15, 0, 0, 0, TimeSpan.Zero), zone));
        Assert.Equal(new DateTimeOffset(2025, 7, 15, 4, 30, 0, TimeSpan.Zero), cron.GetNextOccurrence(new DateTimeOffset(2025, 7, 15, 0, 0, 0, TimeSpan.Zero), zone));
    }

    /// <summary>A clock that moves only when told, for the throttle.</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;
        private readonly List<(long Due, ITimerCallbackHolder Timer)> _timers = [];

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by)
        {
            Interlocked.Add(ref _ticks, by.Ticks);
            List<ITimerCallbackHolder> due;
            lock (_timers)
            {
                due = _timers.Where(t => t.Due <= _ticks).Select(t => t.Timer).ToList();
                _timers.RemoveAll(t => t.Due <= _ticks);
            }
            foreach (var t in due)
            {
                t.Fire();
            }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new Holder(callback, state);
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                lock (_timers)
                {
                    _timers.Add((_ticks + dueTime.Ticks, timer));
                }
            }
            return timer;
        }

        private interface ITimerCallbackHolder
        {
            void Fire();
        }

        private sealed class Holder(TimerCallback callback, object? state) : ITimer, ITimerCallbackHolder
        {
            public void Fire() => callback(state);

            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
