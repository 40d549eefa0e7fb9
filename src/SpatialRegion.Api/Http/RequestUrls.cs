using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Primitives;

namespace SpatialRegion.Api.Http;

public static class RequestUrls
{
    public static string Base(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}";

    /// <summary>The request's own URL with some parameters replaced (null removes one). Every other parameter is
    /// kept as it came, in its order: a next link that drops a filter or a crs would hand the client other data.</summary>
    /// <param name="firstOnly">Parameters of which only the first value counts; their repeats are dropped, so that
    /// a client that appends its own parameters to every next link does not make the URL grow page by page.</param>
    public static string WithQuery(HttpRequest request, IReadOnlyDictionary<string, string?> replacements, IReadOnlyCollection<string>? firstOnly = null)
    {
        var query = new QueryBuilder();
        foreach (var (key, values) in request.Query)
        {
            if (replacements.ContainsKey(key))
            {
                continue;
            }
            foreach (var value in firstOnly is not null && firstOnly.Contains(key) ? values.Take(1) : values)
            {
                query.Add(key, value ?? "");
            }
        }
        foreach (var (key, value) in replacements)
        {
            if (value is not null)
            {
                query.Add(key, value);
            }
        }
        return Base(request) + request.Path + query.ToQueryString();
    }

    public static string Self(HttpRequest request) => Base(request) + request.Path + request.QueryString;

    public static StringValues Get(HttpRequest request, string name) => request.Query[name];
}
