using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;

namespace SpatialRegion.Api.Auth;

public sealed record ApiKeyInfo(string Name, string Role, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

public sealed record ApiCaller(string Name, string Role);

/// <summary>Creates, checks and revokes API keys. A key is "sr_" + 43 characters of base64url randomness; it is
/// shown once when created and stored only as its SHA-256 hash.</summary>
public sealed class ApiKeyStore(NpgsqlDataSource dataSource) : IDisposable
{
    private const string Prefix = "sr_";

    // A revoked key keeps working on a running instance for at most this long.
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private readonly MemoryCache _validated = new(new MemoryCacheOptions { SizeLimit = 10_000 });

    public void Dispose() => _validated.Dispose();

    /// <summary>As <see cref="ValidateAsync"/>, remembering the answer briefly so that a busy client costs no query per request.</summary>
    public async Task<ApiCaller?> ValidateCachedAsync(string key, CancellationToken ct)
    {
        var cacheKey = Convert.ToHexString(Hash(key));
        if (_validated.TryGetValue(cacheKey, out ApiCaller? caller))
        {
            return caller;
        }
        caller = await ValidateAsync(key, ct);
        _validated.Set(cacheKey, caller, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = CacheFor });
        return caller;
    }

    public async Task<string> CreateAsync(string name, string role, CancellationToken ct)
    {
        if (!ApiRoles.All.Contains(role))
        {
            throw new ArgumentException($"Unknown role '{role}'. Roles: {string.Join(", ", ApiRoles.All)}.");
        }
        var key = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        await using var cmd = dataSource.CreateCommand(
            "INSERT INTO api_keys (name, role, key_prefix, key_hash) VALUES ($1, $2, $3, $4)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = name });
        cmd.Parameters.Add(new NpgsqlParameter { Value = role });
        cmd.Parameters.Add(new NpgsqlParameter { Value = key[..(Prefix.Length + 6)] });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Hash(key) });
        try
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new ArgumentException($"An API key named '{name}' exists already; revoke it or choose another name.");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.CheckViolation)
        {
            throw new ArgumentException($"'{name}' is not a valid key name: letters, digits, '_', '.', '@' or '-', up to 100 characters.");
        }
        return key;
    }

    /// <summary>The caller a key belongs to, or null for an unknown or revoked key.</summary>
    public async Task<ApiCaller?> ValidateAsync(string key, CancellationToken ct)
    {
        if (!key.StartsWith(Prefix, StringComparison.Ordinal) || key.Length > 200)
        {
            return null;
        }
        await using var cmd = dataSource.CreateCommand("""
            UPDATE api_keys SET last_used_at = now()
            WHERE key_hash = $1 AND revoked_at IS NULL
            RETURNING name, role
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = Hash(key) });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new ApiCaller(reader.GetString(0), reader.GetString(1)) : null;
    }

    public async Task<bool> RevokeAsync(string name, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("UPDATE api_keys SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL");
        cmd.Parameters.Add(new NpgsqlParameter { Value = name });
        return await cmd.ExecuteNonQueryAsync(ct) > 0;
    }

    public async Task<IReadOnlyList<ApiKeyInfo>> ListAsync(CancellationToken ct)
    {
        var keys = new List<ApiKeyInfo>();
        await using var cmd = dataSource.CreateCommand(
            "SELECT name, role, key_prefix, created_at, last_used_at, revoked_at FROM api_keys ORDER BY name");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            keys.Add(new ApiKeyInfo(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5)));
        }
        return keys;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
