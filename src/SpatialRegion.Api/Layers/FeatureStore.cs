using System.Data;
using Npgsql;

namespace SpatialRegion.Api.Layers;

/// <summary>Runs the queries <see cref="LayerSql"/> builds. Counts are cached per layer version and filter,
/// so a client paging through a layer pays for the count once.</summary>
public sealed class FeatureStore(NpgsqlDataSource dataSource, ResponseCache cache)
{
    public NpgsqlDataSource DataSource => dataSource;

    /// <summary>Opens a reader over the page of features, fetching the matched count in the same round trip
    /// unless it is cached. The caller disposes the returned page.</summary>
    public async Task<FeaturePage> OpenPageAsync(Layer layer, FeatureQuery query, CancellationToken ct)
    {
        var countKey = $"{layer.Id}|{layer.Version}|{query.Filter.Key}";
        var haveCount = cache.TryGetCount(countKey, out var matched);

        var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            var batch = new NpgsqlBatch(connection);
            if (!haveCount)
            {
                batch.BatchCommands.Add(LayerSql.Count(layer, query.Filter));
            }
            batch.BatchCommands.Add(LayerSql.Items(layer, query));
            var reader = await batch.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
            if (!haveCount)
            {
                await reader.ReadAsync(ct);
                matched = reader.GetInt64(0);
                cache.SetCount(countKey, matched);
                await reader.NextResultAsync(ct);
            }
            return new FeaturePage(connection, batch, reader, matched);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task<long> CountAsync(Layer layer, FeatureFilter filter, CancellationToken ct)
    {
        var countKey = $"{layer.Id}|{layer.Version}|{filter.Key}";
        if (cache.TryGetCount(countKey, out var matched))
        {
            return matched;
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { LayerSql.Count(layer, filter) } };
        matched = (long)(await batch.ExecuteScalarAsync(ct))!;
        cache.SetCount(countKey, matched);
        return matched;
    }

    /// <summary>(id, properties JSON, geometry JSON) of one feature, or null.</summary>
    public async Task<(string Id, string Properties, string? Geometry)?> FindAsync(
        Layer layer, string featureId, GeometryOutput output, IReadOnlyList<string>? properties, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { LayerSql.ById(layer, featureId, output, properties) } };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }
        return (reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
    }
}

/// <summary>An open page of features: rows of (fid, properties, geometry) and the number that matched in all.</summary>
public sealed class FeaturePage(NpgsqlConnection connection, NpgsqlBatch batch, NpgsqlDataReader reader, long matched) : IAsyncDisposable
{
    public NpgsqlDataReader Reader => reader;

    public long NumberMatched => matched;

    public async ValueTask DisposeAsync()
    {
        await reader.DisposeAsync();
        await batch.DisposeAsync();
        await connection.DisposeAsync();
    }
}
