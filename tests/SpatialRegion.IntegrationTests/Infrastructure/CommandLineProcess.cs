using System.Diagnostics;

namespace SpatialRegion.IntegrationTests.Infrastructure;

/// <summary>Runs the service's command line as its own process against the test database, as an operator would.</summary>
public static class CommandLineProcess
{
    public static async Task<(int Exit, string Output, string Error)> RunAsync(PostgisFixture db, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SpatialRegion.Api.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["ConnectionStrings__Postgis"] = db.ConnectionString;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output, await error);
    }
}
