using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SpatialRegion.Api.Auth;
using SpatialRegion.Api.Import;
using SpatialRegion.Api.Indicators;
using SpatialRegion.Api.Measures;

[assembly: AssemblyFixture(typeof(SpatialRegion.IntegrationTests.Infrastructure.PostgisFixture))]

namespace SpatialRegion.IntegrationTests.Infrastructure;

/// <summary>
/// One real PostGIS database for the whole test run: created in the cluster named by SPATIALREGION_TEST_DB
/// (scripts/test.sh starts a throwaway one), migrated and loaded with the default layers from the real data by
/// the service itself, dropped at the end. The default layers are read-only for tests; a test that writes
/// makes a layer of its own.
/// </summary>
public sealed class PostgisFixture : IAsyncLifetime
{
    private readonly string _adminConnectionString;
    private readonly string _databaseName = "spatialregion_test_" + Guid.NewGuid().ToString("N")[..12];

    public PostgisFixture()
    {
        _adminConnectionString = Environment.GetEnvironmentVariable("SPATIALREGION_TEST_DB")
            ?? throw new InvalidOperationException(
                "SPATIALREGION_TEST_DB is not set. Run the tests with scripts/test.sh, which starts a throwaway PostGIS, "
                + "or point SPATIALREGION_TEST_DB at a PostgreSQL server with PostGIS where databases may be created.");
        ConnectionString = new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = _databaseName, Pooling = true }.ConnectionString;
        App = new SpatialRegionApp(ConnectionString);
    }

    public string ConnectionString { get; }

    public SpatialRegionApp App { get; }

    public NpgsqlDataSource DataSource => App.Services.GetRequiredService<NpgsqlDataSource>();

    public HttpClient CreateClient() => App.CreateClient();

    /// <summary>A client that sends an API key with the given role.</summary>
    public HttpClient CreateClient(ApiRole role)
    {
        var client = App.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _keys[role]);
        return client;
    }

    /// <summary>The API key of a role, for clients of a service process.</summary>
    public string KeyOf(ApiRole role) => _keys[role];

    private readonly Dictionary<ApiRole, string> _keys = [];

    /// <summary>The API key of a role, for clients that send it themselves (QGIS, HTTP Basic).</summary>
    public string Key(ApiRole role) => _keys[role];

    public async ValueTask InitializeAsync()
    {
        await using (var admin = new NpgsqlConnection(_adminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{_databaseName}\"", admin);
            await create.ExecuteNonQueryAsync();
        }
        // Starting the host runs the migrations, as in production.
        _ = App.Server;
        await App.Services.GetRequiredService<DefaultLayers>().ImportAsync(onlyMissing: true, only: null, progress: null, CancellationToken.None);
        await App.Services.GetRequiredService<SpatialRegion.Api.Networks.DefaultNetworks>().ImportAsync(onlyMissing: true, only: null, progress: null, CancellationToken.None);
        await App.Services.GetRequiredService<IndicatorSeeds>().LoadAsync(onlyMissing: true, only: null, progress: null, CancellationToken.None);
        await App.Services.GetRequiredService<MeasureSeeds>().LoadAsync(progress: null, CancellationToken.None);
        var keys = App.Services.GetRequiredService<ApiKeyStore>();
        _keys[ApiRole.Editor] = await keys.CreateAsync("tests-editor", ApiRoles.Editor, CancellationToken.None);
        _keys[ApiRole.Admin] = await keys.CreateAsync("tests-admin", ApiRoles.Admin, CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_adminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_databaseName}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var cmd = DataSource.CreateCommand(sql);
        foreach (var p in parameters)
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = p });
        }
        return (T)(await cmd.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}

public enum ApiRole
{
    Editor,
    Admin,
}

public sealed class SpatialRegionApp(string connectionString) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Postgis", connectionString);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Npgsql", "Warning");
        // Refresh jobs never reach the real Kolada or SCB from tests; job tests start their own app against a fake server.
        builder.UseSetting("Jobs:SchedulerEnabled", "false");
    }
}
