using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace SpatialRegion.Api.Infrastructure;

/// <summary>
/// Applies the versioned SQL files of data/schema in order, each in its own transaction, and records them in
/// schema_migrations. A file already applied is skipped; one whose text changed after it was applied stops the
/// start-up, because the database no longer matches what the code expects.
/// </summary>
public sealed partial class Migrator(NpgsqlDataSource dataSource, ILogger<Migrator> logger)
{
    // Arbitrary but fixed: serialises migrations when several instances start at once.
    private const long MigrationLockKey = 0x5350_5245_4749_4F4E;

    public sealed record Migration(int Version, string Name, string Sql, string Checksum);

    public static IReadOnlyList<Migration> All { get; } = LoadEmbedded();

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "Migrations are SQL files compiled into the assembly.")]
    public async Task<int> MigrateAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await Execute(connection, "SELECT pg_advisory_lock(@key)", ct, MigrationLockKey);
        try
        {
            await Execute(connection, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                  version integer PRIMARY KEY,
                  name text NOT NULL,
                  checksum text NOT NULL,
                  applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, ct);

            var applied = new Dictionary<int, string>();
            await using (var cmd = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations", connection))
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    applied[reader.GetInt32(0)] = reader.GetString(1);
                }
            }

            var count = 0;
            foreach (var migration in All)
            {
                if (applied.TryGetValue(migration.Version, out var checksum))
                {
                    if (checksum != migration.Checksum)
                    {
                        throw new InvalidOperationException(
                            $"Migration {migration.Version} ({migration.Name}) was changed after it was applied. "
                            + "Add a new migration instead of editing an applied one.");
                    }
                    continue;
                }

                await using var tx = await connection.BeginTransactionAsync(ct);
                await using (var cmd = new NpgsqlCommand(migration.Sql, connection, tx))
                {
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                await using (var cmd = new NpgsqlCommand(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (@v, @n, @c)", connection, tx))
                {
                    cmd.Parameters.AddWithValue("v", migration.Version);
                    cmd.Parameters.AddWithValue("n", migration.Name);
                    cmd.Parameters.AddWithValue("c", migration.Checksum);
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                await tx.CommitAsync(ct);
                LogApplied(migration.Version, migration.Name);
                count++;
            }

            // Extensions created by a migration bring types Npgsql has not seen on this data source yet.
            if (count > 0)
            {
                await connection.ReloadTypesAsync(ct);
            }
            return count;
        }
        finally
        {
            await Execute(connection, "SELECT pg_advisory_unlock(@key)", CancellationToken.None, MigrationLockKey);
        }
    }

    public async Task<bool> IsUpToDateAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT coalesce(max(version), 0) FROM schema_migrations WHERE to_regclass('schema_migrations') IS NOT NULL");
        var latest = All.Count == 0 ? 0 : All[^1].Version;
        try
        {
            return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) >= latest;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return false;
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "Called with constant statements only.")]
    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken ct, long? key = null)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        if (key is { } k)
        {
            cmd.Parameters.AddWithValue("key", k);
        }
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static List<Migration> LoadEmbedded()
    {
        var migrations = new List<Migration>();
        foreach (var name in EmbeddedResources.Names("schema/"))
        {
            var file = name["schema/".Length..];
            var match = FileNamePattern().Match(file);
            if (!match.Success)
            {
                throw new InvalidOperationException($"Schema file '{file}' is not named NNNN_description.sql.");
            }
            var sql = EmbeddedResources.Read(name);
            var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql.ReplaceLineEndings("\n"))));
            migrations.Add(new Migration(
                int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
                match.Groups[2].Value, sql, checksum));
        }
        return migrations;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(\d{4})_([a-z0-9_]+)\.sql$")]
    private static partial System.Text.RegularExpressions.Regex FileNamePattern();

    [LoggerMessage(LogLevel.Information, "Applied migration {Version} ({Name})")]
    private partial void LogApplied(int version, string name);
}
