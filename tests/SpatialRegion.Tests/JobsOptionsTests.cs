using SpatialRegion.Api.Jobs;

namespace SpatialRegion.Tests;

public sealed class JobsOptionsTests
{
    [Fact]
    public void A_job_configuration_that_cannot_work_is_refused_with_every_reason()
    {
        var options = new JobsOptions
        {
            TimeZone = "Europe/Atlantis",
            Definitions =
            {
                ["runs"] = new JobDefinition { Source = "kolada", Indicators = ["population"] },
                ["bad-source"] = new JobDefinition { Source = "eurostat", Indicators = ["population"] },
                ["bad-cron"] = new JobDefinition { Source = "scb-v1", Indicators = ["population"], Schedule = "every monday" },
                ["empty"] = new JobDefinition { Source = "scb-v2" },
            },
        };
        options.Kolada.BaseUrl = "api.kolada.se/v2";

        var problems = new JobsOptionsValidator().Validate(null, options);

        Assert.True(problems.Failed);
        foreach (var expected in new[] { "Europe/Atlantis", "Jobs:Kolada:BaseUrl", "'runs'", "bad-source", "every monday", "'empty' names no indicators" })
        {
            Assert.Contains(problems.Failures!, f => f.Contains(expected, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_source_setting_is_checked_and_a_response_format_only_taken_where_it_means_something()
    {
        var options = new JobsOptions
        {
            Definitions =
            {
                ["kolada-format"] = new JobDefinition { Source = "kolada", Indicators = ["population"], Format = "json" },
                ["v1-xlsx"] = new JobDefinition { Source = "scb-v1", Indicators = ["population"], Format = "xlsx" },
                ["v1-json"] = new JobDefinition { Source = "scb-v1", Indicators = ["population"], Format = "json" },
            },
        };
        options.ScbV1.Format = "csv";
        options.Kolada.MaxIdsPerCall = 0;

        var problems = new JobsOptionsValidator().Validate(null, options).Failures!;

        Assert.Contains(problems, f => f.StartsWith("Jobs:ScbV1:Format", StringComparison.Ordinal));
        Assert.Contains(problems, f => f.StartsWith("Jobs:Kolada: MaxIdsPerCall", StringComparison.Ordinal));
        Assert.Contains(problems, f => f.StartsWith("Job 'kolada-format': Format", StringComparison.Ordinal));
        Assert.Contains(problems, f => f.StartsWith("Job 'v1-xlsx': Format", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, f => f.Contains("'v1-json'", StringComparison.Ordinal));
    }

    [Fact]
    public void The_shipped_defaults_are_valid() => Assert.True(new JobsOptionsValidator().Validate(null, new JobsOptions()).Succeeded);
}
