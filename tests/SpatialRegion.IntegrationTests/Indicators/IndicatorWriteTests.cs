using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Indicators;

/// <summary>Managing the catalogue and uploading values: editors only, checked in full, all or nothing.</summary>
public sealed class IndicatorWriteTests(PostgisFixture db)
{
    private readonly HttpClient _editor = db.CreateClient(ApiRole.Editor);
    private readonly HttpClient _anonymous = db.CreateClient();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object Definition(string id, bool byGender = false) => new
    {
        id,
        title = new { sv = "Testindikator " + id, en = "Test indicator " + id },
        unit = "persons",
        source = "Region Jämtland Härjedalen",
        sourceReference = new { text = "test" },
        areaLevels = new[] { "municipality", "county" },
        periodType = "year",
        dividedByGender = byGender,
        decimals = 1,
        licence = "CC BY 4.0",
        attribution = "Källa: test",
    };

    private async Task CreateAsync(string id, bool byGender = false)
    {
        using var response = await _editor.PostAsJsonAsync("/api/indicators", Definition(id, byGender), Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> UploadCsvAsync(HttpClient client, string id, string csv)
    {
        using var content = new StringContent(csv, Encoding.UTF8, "text/csv");
        using var response = await client.PostAsync($"/api/indicators/{id}/values", content, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, text.Length == 0 ? [] : JsonNode.Parse(text)!.AsObject());
    }

    private Task<long> CountAsync(string id) => db.ScalarAsync<long>("SELECT count(*) FROM indicator_values WHERE indicator_id = $1", id);

    [Fact]
    public async Task An_upload_reports_inserted_updated_and_unchanged_and_rewrites_the_layer()
    {
        await CreateAsync("upload-counts", byGender: true);
        var (status, body) = await UploadCsvAsync(_editor, "upload-counts", "area,period,gender,value\n2380,2023,T,1.5\n2380,2024,T,2\n2303,2024,K,3\n23,2024,T,\n");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(4, body["inserted"]!.GetValue<int>());

        (status, body) = await UploadCsvAsync(_editor, "upload-counts", "area,period,gender,value\n2380,2023,T,1.50\n2380,2024,T,2.5\n");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, body["inserted"]!.GetValue<int>());
        Assert.Equal(1, body["updated"]!.GetValue<int>());
        Assert.Equal(1, body["unchanged"]!.GetValue<int>());

        Assert.Equal("missing", await db.ScalarAsync<string>("SELECT status FROM indicator_values WHERE indicator_id = 'upload-counts' AND area_code = '23' AND value IS NULL"));
        Assert.Equal(2m, await db.ScalarAsync<decimal>("SELECT value FROM indicator_value_history WHERE indicator_id = 'upload-counts' AND area_code = '2380' AND period = '2024'"));
        var feature = await _editor.GetJsonAsync("/api/layers/indicator-upload-counts/features/2380-2024");
        Assert.Equal(2.5, feature["properties"]!["value"]!.GetValue<double>());
        var women = await _editor.GetJsonAsync("/api/layers/indicator-upload-counts/features/2303-2024");
        Assert.Equal(3, women["properties"]!["value_women"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_json_upload_works_like_csv()
    {
        await CreateAsync("upload-json");
        using var response = await _editor.PostAsJsonAsync("/api/indicators/upload-json/values",
            new { values = new object[] { new { area = "2380", period = "2024", value = 12.25 }, new { area = "0023", period = "2024", value = (double?)null, status = "suppressed" } } }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(12.25m, await db.ScalarAsync<decimal>("SELECT value FROM indicator_values WHERE indicator_id = 'upload-json' AND area_code = '2380'"));
        Assert.Equal("suppressed", await db.ScalarAsync<string>("SELECT status FROM indicator_values WHERE indicator_id = 'upload-json' AND area_code = '23'"));
    }

    [Theory]
    [InlineData("area,period,value\n2380,2024,5\n9999,2024,6\n", 2, "area")]
    [InlineData("area,period,value\n2380,2024,5\n2303,2024,fem\n", 2, "value")]
    [InlineData("area,period,value\n2380,2024,5\n2303,2024,6\n2380,2024,7\n", 3, "row")]
    [InlineData("area,period,value\n2380,24,5\n", 1, "period")]
    [InlineData("area,period,value,gender\n2380,2024,5,K\n", 1, "gender")]
    [InlineData("area,period,value\n2380TC114,2024,5\n", 1, "area")]
    [InlineData("area,period,value\n2380,2024,\"1,5\"\n", 1, "value")]
    public async Task A_bad_upload_gets_400_naming_the_row_and_stores_nothing(string csv, int row, string field)
    {
        var id = "bad-upload-" + Guid.NewGuid().ToString("N")[..8];
        await CreateAsync(id);
        var (status, body) = await UploadCsvAsync(_editor, id, csv);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains($"row {row}", body["detail"]!.GetValue<string>());
        var error = body["errors"]!.AsArray().Single(e => e!["row"]!.GetValue<int>() == row)!;
        Assert.Equal(field, error["field"]!.GetValue<string>());
        Assert.Equal(0, await CountAsync(id));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM layers WHERE id = $1", "indicator-" + id));
    }

    [Fact]
    public async Task Malformed_uploads_and_unknown_indicators_are_refused()
    {
        await CreateAsync("upload-shapes");
        Assert.Equal(HttpStatusCode.BadRequest, (await UploadCsvAsync(_editor, "upload-shapes", "area,year,value\n2380,2024,5\n")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await UploadCsvAsync(_editor, "upload-shapes", "area,period,value\n2380,2024\n")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await UploadCsvAsync(_editor, "upload-shapes", "")).Status);
        using (var json = new StringContent("{\"values\": [", Encoding.UTF8, "application/json"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await _editor.PostAsync("/api/indicators/upload-shapes/values", json, Ct)).StatusCode);
        }
        using (var xml = new StringContent("<values/>", Encoding.UTF8, "application/xml"))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await _editor.PostAsync("/api/indicators/upload-shapes/values", xml, Ct)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await UploadCsvAsync(_editor, "no-such-indicator", "area,period,value\n2380,2024,5\n")).Status);
        Assert.Equal(0, await CountAsync("upload-shapes"));
    }

    [Fact]
    public async Task Writes_need_an_editor_key_reads_do_not()
    {
        var (status, body) = await UploadCsvAsync(_anonymous, "population", "area,period,value\n2380,2024,1\n");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.NotNull(body["title"]);
        using (var response = await _anonymous.PostAsJsonAsync("/api/indicators", Definition("anonymous-try"), Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        using (var response = await _anonymous.DeleteAsync("/api/indicators/population", Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        var badKey = db.CreateClient();
        badKey.DefaultRequestHeaders.Add("X-Api-Key", "sr_not_a_real_key");
        Assert.Equal(HttpStatusCode.Unauthorized, (await UploadCsvAsync(badKey, "population", "area,period,value\n2380,2024,1\n")).Status);

        Assert.Equal(64979m, await db.ScalarAsync<decimal>("SELECT value FROM indicator_values WHERE indicator_id = 'population' AND area_code = '2380' AND period = '2024' AND gender = 'T'"));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM indicators WHERE id = 'anonymous-try'"));
        Assert.Equal(HttpStatusCode.OK, (await _anonymous.GetAsync("/api/indicators/population/values", Ct)).StatusCode);
    }

    [Fact]
    public async Task The_catalogue_is_managed_through_the_api()
    {
        using (var invalid = await _editor.PostAsJsonAsync("/api/indicators", new { id = "Bad Id", title = new { sv = "", en = "" }, unit = "", source = "", areaLevels = new[] { "planet" }, periodType = "decade" }, Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
            var errors = JsonNode.Parse(await invalid.Content.ReadAsStringAsync(Ct))!["errors"]!.AsObject();
            foreach (var field in new[] { "id", "title", "unit", "source", "areaLevels", "periodType" })
            {
                Assert.True(errors.ContainsKey(field), field);
            }
        }
        await CreateAsync("managed");
        using (var again = await _editor.PostAsJsonAsync("/api/indicators", Definition("managed"), Ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await UploadCsvAsync(_editor, "managed", "area,period,value\n2380,2024,5\n")).Status);

        var changed = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(Definition("managed")))!.AsObject();
        changed["periodType"] = "month";
        using (var conflict = await _editor.PutAsJsonAsync("/api/indicators/managed", changed, Ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        }
        changed["periodType"] = "year";
        changed["title"] = new JsonObject { ["sv"] = "Omdöpt", ["en"] = "Renamed" };
        using (var put = await _editor.PutAsJsonAsync("/api/indicators/managed", changed, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        Assert.StartsWith("Omdöpt", (await _editor.GetJsonAsync("/api/layers/indicator-managed"))["title"]!.GetValue<string>());

        using (var delete = await _editor.DeleteAsync("/api/indicators/managed", Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }
        Assert.Equal(0, await CountAsync("managed"));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM layers WHERE id = 'indicator-managed'"));
        Assert.Equal(404, (await _editor.GetProblemAsync("/api/indicators/managed")).Status);
    }
}
