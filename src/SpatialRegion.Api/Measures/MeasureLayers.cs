using Npgsql;
using NpgsqlTypes;
using SpatialRegion.Api.Layers;

namespace SpatialRegion.Api.Measures;

/// <summary>
/// The register as three layers of the registry (kind 'measure'), served by /api/layers, /ogc and /wfs like any
/// other: <c>measures</c> (one feature per live measure), <c>measure-links</c> (one per measure and place) and
/// <c>measures-by-municipality</c> (the summary per municipality of the county). They are written inside the
/// transaction that changes the register, so a reader never sees the register and its layers disagree: the whole
/// register at import, and only the edited measure's features (plus the eight-row summary) on an edit.
/// </summary>
public sealed class MeasureLayers(LayerWriter writer)
{
    public const string Measures = "measures";
    public const string Links = "measure-links";
    public const string ByMunicipality = "measures-by-municipality";

    /// <summary>The county whose municipalities the summary covers (Jämtlands län).</summary>
    public const string County = "23";

    private const string Licence = "Per measure (property licence). Projektbanken: public information, Källa: Tillväxtverket.";

    /// <summary>Writes the three layers whole from the register (after an import), or removes them when no measure has a place.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "The feature SELECTs are constants of this class.")]
    public async Task RewriteAllAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken ct)
    {
        foreach (var (definition, sql, parameter) in Definitions())
        {
            await using var any = new NpgsqlCommand($"SELECT EXISTS (SELECT 1 FROM ({sql}) s(fid, properties, geom) WHERE geom IS NOT NULL)", connection, tx);
            any.Parameters.Add(parameter.Clone());
            if (await any.ExecuteScalarAsync(ct) is true)
            {
                await writer.ReplaceAsync(connection, tx, definition, sql, [parameter], ct);
            }
            else
            {
                await using var delete = new NpgsqlCommand("DELETE FROM layers WHERE id = $1", connection, tx);
                delete.Parameters.Add(new NpgsqlParameter { Value = definition.Id });
                await delete.ExecuteNonQueryAsync(ct);
            }
        }
    }

    /// <summary>After an edit of one measure: its feature in <c>measures</c>; its places in <c>measure-links</c> and the
    /// summary only when the edit changed them (<paramref name="placesChanged"/>, <paramref name="summaryChanged"/>).</summary>
    public async Task RefreshAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string measureId, bool placesChanged, bool summaryChanged, CancellationToken ct)
    {
        var id = new NpgsqlParameter { Value = measureId, NpgsqlDbType = NpgsqlDbType.Text };
        var measures = await writer.ReplaceSomeAsync(connection, tx, Measures, "fid = $1", MeasureFeaturesSql, [id], ct);
        var links = !placesChanged ? 0 : await writer.ReplaceSomeAsync(connection, tx, Links, "properties ->> 'measure_id' = $1", LinkFeaturesSql, [id], ct);
        if (measures is null || links is null)
        {
            await RewriteAllAsync(connection, tx, ct);
            return;
        }
        if (summaryChanged)
        {
            var (summary, sql, county) = Definitions()[2];
            await writer.ReplaceAsync(connection, tx, summary, sql, [county], ct);
        }
    }

    private static (LayerDefinition Definition, string Sql, NpgsqlParameter Parameter)[] Definitions()
    {
        var all = new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
        return
        [
            (new LayerDefinition(
                Measures,
                Title: "Regional development measures",
                Description: "One feature per measure of the register (ERDF projects, broadband grants, transport plan items, Leader areas, "
                    + "programme areas). The geometry is the measure's own where it has one (sites and routes drawn as a 250 m disc or "
                    + "100 m band) and otherwise the union of its declared areas of impact, which are not locations: geometry_basis says which. "
                    + "granted_sek is the granted amount, not a total budget. Edit through /api/measures, OGC API Part 4 or WFS-T.",
                Source: "The measures register: Tillväxtverket Projektbanken (ERDF 2014–2020, snapshot 2016-10-14) and transcribed public records",
                Licence: Licence, KeyProperty: "id", Kind: LayerKinds.Measure, TimeProperty: "start_date", TimeEndProperty: "end_date",
                Properties: MeasureProperties), MeasureFeaturesSql, all),
            (new LayerDefinition(
                Links,
                Title: "Regional development measures: places",
                Description: "One feature per measure and place: each declared municipality or county (the area of impact the source states, "
                    + "not a location) and each geometry of the measure's own, with the link's kind (impact_area, site, route, programme_area), "
                    + "how it was obtained (stated, derived_from_place_name, inferred, drawn) and its weight.",
                Source: "The measures register", Licence: Licence, Kind: LayerKinds.Measure, Properties: LinkProperties),
                LinkFeaturesSql, all.Clone()),
            (new LayerDefinition(
                ByMunicipality,
                Title: "Regional development measures per municipality",
                Description: "Per municipality of Jämtlands län: measures touching it (local, multi-county and national apart) and granted SEK "
                    + "by three attributions: full (each measure counted whole in every municipality it touches, so sums double-count), "
                    + "equal share (the measure's share for the municipality; shares add back exactly to the amount) and population-weighted "
                    + "(the measure's part in the county shared by population). SEK per inhabitant uses the latest population (population_year).",
                Source: "The measures register; population: SCB", Licence: Licence, KeyProperty: "kom_kod", Kind: LayerKinds.Measure,
                Properties: SummaryProperties), SummaryFeaturesSql, new NpgsqlParameter { Value = County, NpgsqlDbType = NpgsqlDbType.Text }),
        ];
    }

    /// <summary>The properties of <c>measures</c>, in order; also the attributes QGIS edits through WFS-T and OGC API Part 4.</summary>
    public static readonly IReadOnlyList<LayerProperty> MeasureProperties =
    [
        new("id", LayerProperty.String),
        new("title", LayerProperty.String),
        new("status", LayerProperty.String),
        new("programme", LayerProperty.String),
        new("fund", LayerProperty.String),
        new("funder", LayerProperty.String),
        new("themes", LayerProperty.String),
        new("measure_type", LayerProperty.String),
        new("programming_period", LayerProperty.String),
        new("priority_axis", LayerProperty.String),
        new("thematic_objective", LayerProperty.String),
        new("beneficiary", LayerProperty.String),
        new("start_date", LayerProperty.String),
        new("end_date", LayerProperty.String),
        new("granted_sek", LayerProperty.Number),
        new("paid_sek", LayerProperty.Number),
        new("total_eligible_sek", LayerProperty.Number),
        new("eu_share_sek", LayerProperty.Number),
        new("co_financing_sek", LayerProperty.Number),
        new("amount_source", LayerProperty.String),
        new("amount_year", LayerProperty.Integer),
        new("scope", LayerProperty.String),
        new("municipalities", LayerProperty.String),
        new("geometry_basis", LayerProperty.String),
        new("source_url", LayerProperty.String),
        new("licence", LayerProperty.String),
        new("description", LayerProperty.String),
        new("version", LayerProperty.Integer),
        new("updated_at", LayerProperty.String),
    ];

    // Only what belongs to the place: the measure's own attributes are in 'measures' (join on measure_id), so that
    // editing a title or a status does not rewrite every place of the measure.
    private static readonly IReadOnlyList<LayerProperty> LinkProperties =
    [
        new("measure_id", LayerProperty.String),
        new("position", LayerProperty.Integer),
        new("kind", LayerProperty.String),
        new("basis", LayerProperty.String),
        new("area_code", LayerProperty.String),
        new("area_name", LayerProperty.String),
        new("weight", LayerProperty.Number),
        new("note", LayerProperty.String),
    ];

    private static readonly IReadOnlyList<LayerProperty> SummaryProperties =
    [
        new("kom_kod", LayerProperty.String),
        new("name", LayerProperty.String),
        new("measures", LayerProperty.Integer),
        new("measures_local", LayerProperty.Integer),
        new("measures_multi_county", LayerProperty.Integer),
        new("measures_national", LayerProperty.Integer),
        new("measures_without_amount", LayerProperty.Integer),
        new("granted_sek_full", LayerProperty.Number),
        new("granted_sek_equal_share", LayerProperty.Number),
        new("granted_sek_population_weighted", LayerProperty.Number),
        new("granted_sek_equal_share_local", LayerProperty.Number),
        new("granted_sek_equal_share_multi_county", LayerProperty.Number),
        new("granted_sek_equal_share_national", LayerProperty.Number),
        new("population", LayerProperty.Integer),
        new("population_year", LayerProperty.String),
        new("sek_per_inhabitant_equal_share", LayerProperty.Number),
        new("sek_per_inhabitant_population_weighted", LayerProperty.Number),
        new("class_sek_per_inhabitant", LayerProperty.Integer),
    ];

    /// <summary>One row per live measure with a geometry: (fid, properties, geometry); $1 limits it to one measure when not null.</summary>
    private const string MeasureFeaturesSql = """
        SELECT m.id, measure_properties(m),
               m.display_geom
        FROM measures m
        WHERE m.deleted_at IS NULL AND m.display_geom IS NOT NULL AND ($1::text IS NULL OR m.id = $1)
        """;

    private const string LinkFeaturesSql = """
        SELECT l.measure_id || '.' || l.position, jsonb_build_object(
                 'measure_id', l.measure_id, 'position', l.position, 'kind', l.kind, 'basis', l.basis, 'area_code', l.area_code,
                 'area_name', coalesce(a.properties ->> 'KOMMUNNAMN', a.properties ->> 'LANSNAMN'), 'weight', l.weight, 'note', l.note),
               CASE WHEN l.geom IS NOT NULL THEN measure_display_shape(l.geom) ELSE a.geom END
        FROM measure_links l
        JOIN measures m ON m.id = l.measure_id AND m.deleted_at IS NULL
        LEFT JOIN layer_features a ON l.area_code IS NOT NULL AND a.fid = l.area_code
             AND a.layer_id = CASE length(l.area_code) WHEN 4 THEN 'municipalities' ELSE 'counties' END
        WHERE $1::text IS NULL OR l.measure_id = $1
        """;

    /// <summary>
    /// The summary per municipality of the county. Attributions: full (every measure that touches a municipality
    /// counts whole there, so these sums double-count), equal share (the measure's share for the municipality,
    /// measure_municipality_shares) and population-weighted (the measure's part in the county shared by the
    /// population of its municipalities in the county; outside the county the population is not in the data, so
    /// the county's part itself is the equal-share one). Shares are rounded to whole öre by largest remainder per
    /// measure, so a measure's shares add back exactly to its amount (or to its part in the county).
    /// </summary>
    public const string SummarySql = """
        WITH county AS (
          SELECT fid AS kom_kod, properties ->> 'KOMMUNNAMN' AS name, geom FROM layer_features
          WHERE layer_id = 'municipalities' AND left(fid, 2) = $1
        ), pop AS (
          SELECT DISTINCT ON (area_code) area_code AS kom_kod, value AS population, period AS population_year
          FROM indicator_values WHERE indicator_id = 'population' AND gender = 'T' AND area_code IN (SELECT kom_kod FROM county)
          ORDER BY area_code, period_end DESC
        ), touching AS (
          SELECT s.measure_id, s.kom_kod, s.share, m.granted_sek, m.scope
          FROM measure_municipality_shares s
          JOIN measures m ON m.id = s.measure_id AND m.deleted_at IS NULL
          JOIN county c ON c.kom_kod = s.kom_kod
          WHERE s.share > 0
        ), equal_raw AS (
          SELECT measure_id, kom_kod, scope, granted_sek * 100 * share AS raw FROM touching WHERE granted_sek IS NOT NULL
        ), weighted_raw AS (
          SELECT t.measure_id, t.kom_kod, t.scope,
                 t.granted_sek * 100 * sum(t.share) OVER w * p.population / sum(p.population) OVER w AS raw
          FROM touching t JOIN pop p ON p.kom_kod = t.kom_kod
          WHERE t.granted_sek IS NOT NULL
          WINDOW w AS (PARTITION BY t.measure_id)
        ), allocated AS (
          SELECT 'equal' AS rule, measure_id, kom_kod, scope,
                 floor(raw) + CASE WHEN row_number() OVER w <= round(sum(raw) OVER w) - sum(floor(raw)) OVER w THEN 1 ELSE 0 END AS ore
          FROM equal_raw WINDOW w AS (PARTITION BY measure_id ORDER BY raw - floor(raw) DESC, kom_kod
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
          UNION ALL
          SELECT 'weighted', measure_id, kom_kod, scope,
                 floor(raw) + CASE WHEN row_number() OVER w <= round(sum(raw) OVER w) - sum(floor(raw)) OVER w THEN 1 ELSE 0 END
          FROM weighted_raw WINDOW w AS (PARTITION BY measure_id ORDER BY raw - floor(raw) DESC, kom_kod
                                         ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
        ), counts AS (
          SELECT kom_kod, count(*) AS measures,
                 count(*) FILTER (WHERE scope = 'local') AS measures_local,
                 count(*) FILTER (WHERE scope = 'multi_county') AS measures_multi_county,
                 count(*) FILTER (WHERE scope = 'national') AS measures_national,
                 count(*) FILTER (WHERE granted_sek IS NULL) AS measures_without_amount,
                 sum(granted_sek) AS granted_sek_full
          FROM touching GROUP BY kom_kod
        ), sums AS (
          SELECT kom_kod,
                 round(sum(ore) FILTER (WHERE rule = 'equal') / 100, 2) AS equal_share,
                 round(sum(ore) FILTER (WHERE rule = 'weighted') / 100, 2) AS population_weighted,
                 round(sum(ore) FILTER (WHERE rule = 'equal' AND scope = 'local') / 100, 2) AS equal_local,
                 round(sum(ore) FILTER (WHERE rule = 'equal' AND scope = 'multi_county') / 100, 2) AS equal_multi_county,
                 round(sum(ore) FILTER (WHERE rule = 'equal' AND scope = 'national') / 100, 2) AS equal_national
          FROM allocated GROUP BY kom_kod
        )
        SELECT c.kom_kod, c.name, coalesce(n.measures, 0) AS measures, coalesce(n.measures_local, 0) AS measures_local,
               coalesce(n.measures_multi_county, 0) AS measures_multi_county, coalesce(n.measures_national, 0) AS measures_national,
               coalesce(n.measures_without_amount, 0) AS measures_without_amount, coalesce(n.granted_sek_full, 0) AS granted_sek_full,
               coalesce(s.equal_share, 0) AS granted_sek_equal_share, coalesce(s.population_weighted, 0) AS granted_sek_population_weighted,
               coalesce(s.equal_local, 0) AS granted_sek_equal_share_local,
               coalesce(s.equal_multi_county, 0) AS granted_sek_equal_share_multi_county,
               coalesce(s.equal_national, 0) AS granted_sek_equal_share_national,
               p.population, p.population_year, c.geom
        FROM county c
        LEFT JOIN counts n ON n.kom_kod = c.kom_kod
        LEFT JOIN sums s ON s.kom_kod = c.kom_kod
        LEFT JOIN pop p ON p.kom_kod = c.kom_kod
        ORDER BY c.kom_kod
        """;

    /// <summary>The summary per municipality as a GeoJSON FeatureCollection, computed now ($2 is not read).</summary>
    public const string SummaryByMunicipalitySql = $$"""
        SELECT jsonb_build_object('type', 'FeatureCollection', 'by', $2::text, 'features', coalesce(jsonb_agg(jsonb_build_object(
                 'type', 'Feature', 'id', f.kom_kod, 'properties', f.properties,
                 'geometry', ST_AsGeoJSON(ST_Transform(f.geom, 4326), 7, 0)::jsonb) ORDER BY f.kom_kod), '[]'))::text
        FROM ({{SummaryFeaturesSql}}) f(kom_kod, properties, geom)
        """;

    /// <summary>The summary as features, with SEK per inhabitant (two decimals) and a quantile class (1–5) of the
    /// equal-share figure per inhabitant, as the indicator maps classify.</summary>
    private const string SummaryFeaturesSql = $$"""
        WITH s AS ({{SummarySql}}),
        f AS (
          SELECT s.*, round(s.granted_sek_equal_share / nullif(s.population, 0), 2) AS sek_per_inhabitant_equal_share,
                 round(s.granted_sek_population_weighted / nullif(s.population, 0), 2) AS sek_per_inhabitant_population_weighted
          FROM s
        )
        SELECT f.kom_kod, (to_jsonb(f) - 'geom') || jsonb_build_object('class_sek_per_inhabitant',
                 ntile(5) OVER (ORDER BY f.sek_per_inhabitant_equal_share)), f.geom
        FROM f
        """;
}
