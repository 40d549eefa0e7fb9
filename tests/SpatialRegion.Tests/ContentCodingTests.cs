using Microsoft.AspNetCore.Http;
using SpatialRegion.Api.Http;

namespace SpatialRegion.Tests;

public sealed class ContentCodingTests
{
    [Theory]
    [InlineData(null, null)]
    [InlineData("gzip", "gzip")]
    [InlineData("gzip, deflate, br", "br")]
    [InlineData("br;q=0.5, gzip", "gzip")]
    [InlineData("br;q=0, gzip;q=0", null)]
    [InlineData("identity", null)]
    [InlineData("*", "br")]
    [InlineData("*;q=0, gzip", "gzip")]
    [InlineData("deflate", null)]
    public void Chooses_brotli_then_gzip_as_the_client_allows(string? acceptEncoding, string? expected)
    {
        var context = new DefaultHttpContext();
        if (acceptEncoding is not null)
        {
            context.Request.Headers.AcceptEncoding = acceptEncoding;
        }
        Assert.Equal(expected, ContentCoding.Choose(context.Request));
    }

    [Fact]
    public async Task The_copy_for_the_cache_is_dropped_once_it_would_exceed_its_limit()
    {
        var sent = new MemoryStream();
        var copying = new CopyingStream(sent, limit: 8);
        await copying.WriteAsync(new byte[5], TestContext.Current.CancellationToken);
        Assert.Equal(5, copying.Copy!.Length);
        await copying.WriteAsync(new byte[5], TestContext.Current.CancellationToken);
        Assert.Null(copying.Copy);
        Assert.Equal(10, sent.Length);
    }
}
