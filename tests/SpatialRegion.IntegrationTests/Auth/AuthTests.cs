using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SpatialRegion.Api.Auth;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Auth;

public sealed class AuthTests(PostgisFixture db)
{
    private const string Points = """
        {"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"id":"a","v":1},"geometry":{"type":"Point","coordinates":[14.6,63.2]}},
          {"type":"Feature","properties":{"id":"b","v":2},"geometry":{"type":"Point","coordinates":[15.0,62.5]}}]}
        """;

    private static StringContent GeoJson(string text) => new(text, Encoding.UTF8, "application/geo+json");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reads_are_public_and_writes_without_a_valid_key_are_refused_with_401()
    {
        using var anonymous = db.CreateClient();
        using var get = await anonymous.GetAsync("/api/layers", Ct);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);

        using var put = await anonymous.PutAsync("/api/layers/test-auth-anon?key=id", GeoJson(Points), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, put.StatusCode);
        Assert.Equal("application/problem+json", put.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["Bearer", "Basic"], put.Headers.WwwAuthenticate.Select(h => h.Scheme));

        using var wrong = db.CreateClient();
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sr_not-a-real-key");
        using var refused = await wrong.PutAsync("/api/layers/test-auth-anon?key=id", GeoJson(Points), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var problem = JsonNode.Parse(await refused.Content.ReadAsStringAsync(Ct))!;
        Assert.Contains("not valid", problem["detail"]!.GetValue<string>());

        using var delete = await anonymous.DeleteAsync("/api/layers/municipalities", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, delete.StatusCode);
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM layers WHERE id = 'test-auth-anon'"));
        Assert.Equal(290, await db.ScalarAsync<int>("SELECT feature_count FROM layers WHERE id = 'municipalities'"));
    }

    [Fact]
    public async Task An_editor_uploads_replaces_and_deletes_a_layer_and_a_bad_upload_changes_nothing()
    {
        using var editor = db.CreateClient(ApiRole.Editor);
        using var created = await editor.PutAsync("/api/layers/test-auth-upload?key=id&title=Two%20points&licence=CC0", GeoJson(Points), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var report = JsonNode.Parse(await created.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal(2, report["written"]!.GetValue<int>());

        using var replaced = await editor.PutAsync("/api/layers/test-auth-upload?key=id", GeoJson(Points.Replace("\"v\":2", "\"v\":3", StringComparison.Ordinal)), Ct);
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        var b = await editor.GetJsonAsync("/api/layers/test-auth-upload/features/b");
        Assert.Equal(3, b["properties"]!["v"]!.GetValue<int>());
        Assert.Equal("Two points", (await editor.GetJsonAsync("/api/layers/test-auth-upload"))["title"]!.GetValue<string>());

        using var bad = await editor.PutAsync("/api/layers/test-auth-upload?key=id", GeoJson("""{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[14,63]}}]}"""), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("no value for the key property 'id'", JsonNode.Parse(await bad.Content.ReadAsStringAsync(Ct))!["detail"]!.GetValue<string>());
        Assert.Equal(2, await db.ScalarAsync<long>("SELECT count(*) FROM layer_features WHERE layer_id = 'test-auth-upload'"));

        using var unknownParameter = await editor.PutAsync("/api/layers/test-auth-upload?keyy=id", GeoJson(Points), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, unknownParameter.StatusCode);

        using var deleted = await editor.DeleteAsync("/api/layers/test-auth-upload", Ct);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await editor.GetAsync("/api/layers/test-auth-upload", Ct);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using var again = await editor.DeleteAsync("/api/layers/test-auth-upload", Ct);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task Key_management_is_for_admins_only_and_a_revoked_key_stops_working()
    {
        using var editor = db.CreateClient(ApiRole.Editor);
        using var forbidden = await editor.GetAsync("/api/admin/api-keys", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Contains("role 'editor'", JsonNode.Parse(await forbidden.Content.ReadAsStringAsync(Ct))!["detail"]!.GetValue<string>());

        using var admin = db.CreateClient(ApiRole.Admin);
        using var created = await admin.PostAsJsonAsync("/api/admin/api-keys", new { name = "test-temporary", role = "editor" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = JsonNode.Parse(await created.Content.ReadAsStringAsync(Ct))!["key"]!.GetValue<string>();
        Assert.StartsWith("sr_", key);
        var listed = await admin.GetStringAsync("/api/admin/api-keys", Ct);
        Assert.Contains("test-temporary", listed);
        Assert.DoesNotContain(key, listed);
        // Only a prefix and a hash are kept: no column of any key row holds the secret part.
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM api_keys k WHERE row_to_json(k)::text LIKE '%' || $1 || '%'", key[10..]));

        using var revoked = await admin.DeleteAsync("/api/admin/api-keys/test-temporary", Ct);
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        using var withRevoked = db.CreateClient();
        withRevoked.DefaultRequestHeaders.Add("X-Api-Key", key);
        using var refused = await withRevoked.PutAsync("/api/layers/test-auth-revoked?key=id", GeoJson(Points), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        using var duplicate = await admin.PostAsJsonAsync("/api/admin/api-keys", new { name = "tests-editor", role = "editor" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        using var badRole = await admin.PostAsJsonAsync("/api/admin/api-keys", new { name = "test-superuser", role = "root" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, badRole.StatusCode);
    }

    [Fact]
    public async Task A_key_sent_as_x_api_key_works_like_a_bearer_token()
    {
        var key = await db.App.Services.GetRequiredService<ApiKeyStore>().CreateAsync("test-header-key", ApiRoles.Editor, Ct);
        using var client = db.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        using var put = await client.PutAsync("/api/layers/test-auth-header?key=id", GeoJson(Points), Ct);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
    }

    [Fact]
    public async Task The_command_line_creates_a_working_key_and_revokes_it()
    {
        var (created, output, _) = await CommandLineProcess.RunAsync(db, "create-api-key", "test-cli-key", "--role", "editor");
        Assert.Equal(0, created);
        var key = output.Split('\n', StringSplitOptions.TrimEntries).Single(l => l.StartsWith("sr_", StringComparison.Ordinal));

        using var client = db.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var put = await client.PutAsync("/api/layers/test-auth-cli?key=id", GeoJson(Points), Ct);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        var (listed, list, _) = await CommandLineProcess.RunAsync(db, "api-keys");
        Assert.Equal(0, listed);
        Assert.Contains("test-cli-key", list);
        Assert.DoesNotContain(key, list);

        var (badRole, _, error) = await CommandLineProcess.RunAsync(db, "create-api-key", "test-cli-root", "--role", "root");
        Assert.Equal(2, badRole);
        Assert.Contains("Unknown role 'root'", error);
        Assert.Equal(0, (await CommandLineProcess.RunAsync(db, "revoke-api-key", "test-cli-key")).Exit);
    }
}
