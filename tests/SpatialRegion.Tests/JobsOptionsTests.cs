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
    public void The_shipped_defaults_are_valid() => Assert.True(new JobsOptionsValidator().Validate(null, new JobsOptions()).Succeeded);
}
