using Microsoft.Extensions.FileProviders;

namespace SpatialRegion.Api.Web;

/// <summary>
/// The pages a person opens in a browser: the landing page at / and the map at /map, with their scripts, styles
/// and the map library under /static, all from the service's own output folder (the build copies MapLibre GL JS
/// there from npm), so the pages work with no internet access and load no script from another site.
/// </summary>
public static class WebPages
{
    public const string StaticPath = "/static";

    private static readonly Dictionary<string, string> Pages = new(StringComparer.Ordinal)
    {
        ["/"] = "/index.html",
        ["/map"] = "/map.html",
        ["/map/"] = "/map.html",
    };

    public static IApplicationBuilder UseWebPages(this IApplicationBuilder app)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "Web", "static");
        // A page's address stays what a person types and shares; the file behind it is served as any static file
        // (ETag, Last-Modified, HEAD, compression).
        app.Use((context, next) =>
        {
            if (context.Request.Path.Value is { } path && Pages.TryGetValue(path, out var file))
            {
                context.Request.Path = StaticPath + file;
            }
            return next(context);
        });
        return app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(folder),
            RequestPath = StaticPath,
            OnPrepareResponse = c => c.Context.Response.Headers.CacheControl = "public, no-cache",
        });
    }
}
