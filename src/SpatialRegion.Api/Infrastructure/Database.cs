using Npgsql;

namespace SpatialRegion.Api.Infrastructure;

public static class Database
{
    public const string ConnectionStringName = "Postgis";

    /// <summary>Service key of the data source whose sessions serve vector tiles.</summary>
    public const string TileSessions = "tiles";

    public static IServiceCollection AddPostgis(this IServiceCollection services)
    {
        // Resolved when first needed rather than now, so that hosts which add configuration late (test hosts) are honoured.
        services.AddSingleton(sp => Build(sp, _ => { }));
        // Vector tiles get sessions of their own. Without parallel workers: a parallel ST_AsMVT has each worker build
        // a partial tile and the leader merge them, which on few cores takes twice as long as one scan (a z6 tile of
        // the population grid: 132 ms against 59 ms) and crowds out the small tiles around it. Prepared: one tile's
        // statement differs from the next only in its parameters, and planning it (0.3-1.6 ms) takes as long as
        // executing a small tile.
        services.AddKeyedSingleton<NpgsqlDataSource>(TileSessions, (sp, _) => Build(sp, connection =>
        {
            connection.MaxAutoPrepare = 8;
            connection.Options = $"{connection.Options} -c max_parallel_workers_per_gather=0".Trim();
        }));
        services.AddSingleton<Migrator>();
        return services;
    }

    private static NpgsqlDataSource Build(IServiceProvider sp, Action<NpgsqlConnectionStringBuilder> configure)
    {
        var connectionString = sp.GetRequiredService<IConfiguration>().GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "ConnectionStrings:Postgis is not set. Start the service with scripts/run.sh, which starts a local PostGIS, "
                + "or set the environment variable ConnectionStrings__Postgis.");
        }
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        configure(builder.ConnectionStringBuilder);
        builder.UseNetTopologySuite();
        builder.UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>());
        return builder.Build();
    }
}
