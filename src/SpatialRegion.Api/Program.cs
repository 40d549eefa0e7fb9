using SpatialRegion.Api;
using SpatialRegion.Api.Cli;

if (CommandLine.IsCommand(args))
{
    return await CommandLine.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddSpatialRegion();

var app = builder.Build();
app.MapSpatialRegion();
await app.RunAsync();
return 0;
