using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Indicators;

/// <summary>
/// Each indicator is also a layer of the registry, <c>indicator-{id}</c>: one feature per area and period, the
/// area's geometry from its boundary layer, the values as properties and the period end as the time property
/// (OGC API <c>datetime</c>, the QGIS temporal controller). It is rewritten inside the transaction that changes
/// the values, so the layer and the values never disagree.
/// </summary>
public sealed class IndicatorLayers(LayerWriter writer)
{
    public const string TimeProperty = "period_end";

    /// <summary>Replaces the layer from the indicator's current values and definition (in the caller's
    /// transaction); removes it, if there is one, when no value has a geometry to stand on.</summary>
    public async Task RewriteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Indicator indicator, CancellationToken ct)
    {
        await using (var count = new NpgsqlCommand("""
            WITH areas AS MATERIALIZED (SELECT code FROM indicator_areas WHERE layer_id IS NOT NULL)
            SELECT count(*) FROM indicator_values v JOIN areas a ON a.code = v.area_code
            WHERE v.indicator_id = $1
            """, connection, tx))
        {
            count.Parameters.Add(new NpgsqlParameter { Value = indicator.Id });
            if ((long)(await count.ExecuteScalarAsync(ct))! == 0)
            {
                await DeleteAsync(connection, tx, indicator.Id, ct);
                return;
            }
        }
        await writer.ReplaceAsync(connection, tx, Definition(indicator, await BoundaryVersionsAsync(connection, tx, ct)), FeaturesSql(indicator),
            [new NpgsqlParameter { Value = indicator.Id, NpgsqlDbType = NpgsqlDbType.Text }], ct);
    }

    /// <summary>Rewrites (in the caller's transaction) every indicator layer with values on areas of
    /// <paramref name="boundaryLayerId"/>, after that layer was replaced.</summary>
    public async Task RewriteStandingOnAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string boundaryLayerId, CancellationToken ct)
    {
        if (!AreaCodes.Layers.Contains(boundaryLayerId))
        {
            return;
        }
        var ids = new List<string>();
        await using (var standing = new NpgsqlCommand("""
            SELECT DISTINCT v.indicator_id FROM indicator_values v
            WHERE v.area_code IN (SELECT code FROM indicator_areas WHERE layer_id = $1)
            ORDER BY 1
            """, connection, tx))
        {
            standing.Parameters.Add(new NpgsqlParameter { Value = boundaryLayerId });
            await using var reader = await standing.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                ids.Add(reader.GetString(0));
            }
        }
        foreach (var id in ids)
        {
            if (await IndicatorCatalogue.FindAsync(connection, tx, id, forUpdate: false, ct) is { } indicator)
            {
                await RewriteAsync(connection, tx, indicator, ct);
            }
        }
    }

    public static async Task DeleteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string indicatorId, CancellationToken ct)
    {
        await using var delete = new NpgsqlCommand("DELETE FROM layers WHERE id = $1", connection, tx);
        delete.Parameters.Add(new NpgsqlParameter { Value = Indicator.LayerIdFor(indicatorId) });
        await delete.ExecuteNonQueryAsync(ct);
    }

    public static IReadOnlyList<LayerProperty> Properties(Indicator indicator)
    {
        var list = new List<LayerProperty>
        {
            new("area_code", LayerProperty.String),
            new("area_name", LayerProperty.String),
            new("area_level", LayerProperty.String),
            new("period", LayerProperty.String),
            new("period_start", LayerProperty.String),
            new(TimeProperty, LayerProperty.String),
            new("value", LayerProperty.Number),
            new("status", LayerProperty.String),
        };
        if (indicator.DividedByGender)
        {
            list.Add(new("value_women", LayerProperty.Number));
            list.Add(new("status_women", LayerProperty.String));
            list.Add(new("value_men", LayerProperty.Number));
            list.Add(new("status_men", LayerProperty.String));
        }
        list.Add(new("unit", LayerProperty.String));
        return list;
    }

    /// <summary>The versions of the boundary layers the areas' geometries come from, recorded in each indicator layer's
    /// provenance: which boundaries a layer stands on can be read from it, and it changes when they are replaced.</summary>
    private static async Task<Dictionary<string, long>> BoundaryVersionsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT id, version FROM layers WHERE id = ANY ($1) ORDER BY id", connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = AreaCodes.Layers });
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            versions[reader.GetString(0)] = reader.GetInt64(1);
        }
        return versions;
    }

    private static LayerDefinition Definition(Indicator indicator, Dictionary<string, long> boundaries) => new(
        Id: indicator.LayerId,
        Title: $"{indicator.TitleSv} ({indicator.TitleEn})",
        Description: $"Indicator {indicator.Id}: one feature per area and period; value in {indicator.Unit}. {indicator.Description}".Trim(),
        Source: string.IsNullOrEmpty(indicator.SourceReference.Text) ? indicator.Source : $"{indicator.Source}: {indicator.SourceReference.Text}",
        Licence: string.Join(". ", new[] { indicator.Licence, indicator.Attribution }.Where(s => !string.IsNullOrWhiteSpace(s))),
        KeyProperty: null,
        Kind: LayerKinds.Indicator,
        TimeProperty: TimeProperty,
        Provenance: JsonSerializer.SerializeToNode(new
        {
            indicator = indicator.Id,
            indicatorVersion = indicator.Version,
            source = indicator.Source,
            sourceReference = indicator.SourceReference,
            attribution = indicator.Attribution,
            boundaries,
        }, IndicatorJson.Options)!.AsObject(),
        Properties: Properties(indicator));

    /// <summary>(fid, properties, geom in EPSG:3006): totals and, when divided by gender, women and men side by side.</summary>
    private static string FeaturesSql(Indicator indicator)
    {
        var genderColumns = indicator.DividedByGender
            ? """
              ,
                       'value_women', v.value_k, 'status_women', v.status_k, 'value_men', v.value_m, 'status_men', v.status_m
              """
            : "";
        // The areas are read once and hashed (see IndicatorValuesEndpoint): values just written have no statistics.
        return $"""
            WITH areas AS MATERIALIZED (SELECT code, name, level, layer_id, fid FROM indicator_areas WHERE layer_id IS NOT NULL)
            SELECT v.area_code || '-' || v.period AS fid,
                   jsonb_build_object(
                       'area_code', v.area_code, 'area_name', a.name, 'area_level', a.level, 'period', v.period,
                       'period_start', to_char(v.period_start, 'YYYY-MM-DD'), 'period_end', to_char(v.period_end, 'YYYY-MM-DD'),
                       'value', v.value_t, 'status', v.status_t{genderColumns},
                       'unit', i.unit) AS properties,
                   f.geom
            FROM (
              SELECT indicator_id, area_code, period, min(period_start) AS period_start, min(period_end) AS period_end,
                     max(value) FILTER (WHERE gender = 'T') AS value_t, max(status) FILTER (WHERE gender = 'T') AS status_t,
                     max(value) FILTER (WHERE gender = 'K') AS value_k, max(status) FILTER (WHERE gender = 'K') AS status_k,
                     max(value) FILTER (WHERE gender = 'M') AS value_m, max(status) FILTER (WHERE gender = 'M') AS status_m
              FROM indicator_values WHERE indicator_id = $1
              GROUP BY indicator_id, area_code, period
            ) v
            JOIN indicators i ON i.id = v.indicator_id
            JOIN areas a ON a.code = v.area_code
            JOIN layer_features f ON f.layer_id = a.layer_id AND f.fid = a.fid
            """;
    }
}
