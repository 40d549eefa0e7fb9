using Npgsql;

namespace SpatialRegion.Api.Infrastructure;

public static class Database
{
    public const string ConnectionStringName = "Postgis";

    public static IServiceCollection AddPostgis(this IServiceCollection services)
    {
        // Resolved when first needed rather than now, so that hosts which add configuration late (test hosts) are honoured.
        services.AddSingleton(sp =>
        {
            var connectionString = sp.GetRequiredService<IConfiguration>().GetConnectionString(ConnectionStringName);
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException(
                    "ConnectionStrings:Postgis is not set. Start the service with scripts/run.sh, which starts a local PostGIS, "
                    + "or set the environment variable ConnectionStrings__Postgis.");
            }
            var builder = new NpgsqlDataSourceBuilder(connectionString);
            builder.UseNetTopologySuite();
            builder.UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>());
            return builder.Build();
        });
        services.AddSingleton<Migrator>();
        return services;
    }
}
