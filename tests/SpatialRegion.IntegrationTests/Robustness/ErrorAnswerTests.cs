using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SpatialRegion.Api.Http;
using SpatialRegion.IntegrationTests.Infrastructure;

namespace SpatialRegion.IntegrationTests.Robustness;

/// <summary>The exception handler itself, for failures no request can be made to cause: a bug (500), PostGIS gone
/// (503), a data exception that got past every check (400), each in the three formats.</summary>
public sealed class ErrorAnswerTests(PostgisFixture db)
{
    public static TheoryData<ErrorFormat, string> Formats => new()
    {
        { ErrorFormat.Problem, "application/problem+json" },
        { ErrorFormat.Ogc, "application/json" },
        { ErrorFormat.Wfs, "application/xml" },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task A_bug_is_a_500_that_tells_nothing_of_its_inside(ErrorFormat format, string mediaType)
    {
        var (status, type, headers, body) = await HandleAsync(format,
            new InvalidOperationException("SELECT key_hash FROM api_keys WHERE name = 'admin' failed"));
        Assert.Equal(500, status);
        Assert.StartsWith(mediaType, type);
        Assert.DoesNotContain("key_hash", body, StringComparison.Ordinal);
        Assert.DoesNotContain("SELECT", body, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", body, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", body, StringComparison.Ordinal);
        Assert.False(headers.ContainsKey("Retry-After"));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task PostGIS_out_of_reach_is_a_503_with_retry_after(ErrorFormat format, string mediaType)
    {
        var (status, type, headers, body) = await HandleAsync(format,
            new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused)));
        Assert.Equal(503, status);
        Assert.StartsWith(mediaType, type);
        Assert.Equal(ErrorAnswers.RetryAfterSeconds, headers["Retry-After"].ToString());
        Assert.DoesNotContain("5432", body, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task A_data_exception_is_a_400(ErrorFormat format, string mediaType)
    {
        var (status, type, _, body) = await HandleAsync(format,
            new PostgresException("invalid byte sequence for encoding \"UTF8\": 0x00", "ERROR", "ERROR", "22021"));
        Assert.Equal(400, status);
        Assert.StartsWith(mediaType, type);
        Assert.Contains("22021", body, StringComparison.Ordinal);
    }

    private async Task<(int Status, string? Type, IHeaderDictionary Headers, string Body)> HandleAsync(ErrorFormat format, Exception exception)
    {
        var context = new DefaultHttpContext { RequestServices = db.App.Services };
        context.Request.Method = "GET";
        context.Request.Path = "/somewhere";
        var body = new MemoryStream();
        context.Response.Body = body;
        var endpoint = new Endpoint(_ => Task.CompletedTask, new EndpointMetadataCollection(new ErrorFormatMetadata(format)), "test");
        context.Features.Set<IExceptionHandlerFeature>(new ExceptionHandlerFeature { Error = exception, Endpoint = endpoint, Path = "/somewhere" });
        var handled = await new ErrorAnswerHandler(NullLogger<ErrorAnswerHandler>.Instance)
            .TryHandleAsync(context, exception, TestContext.Current.CancellationToken);
        Assert.True(handled);
        return (context.Response.StatusCode, context.Response.ContentType, context.Response.Headers, System.Text.Encoding.UTF8.GetString(body.ToArray()));
    }
}
