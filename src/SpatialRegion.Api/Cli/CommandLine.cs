using SpatialRegion.Api.Auth;
using SpatialRegion.Api.Import;
using SpatialRegion.Api.Indicators;
using SpatialRegion.Api.Infrastructure;
using SpatialRegion.Api.Layers;
using SpatialRegion.Api.Measures;

namespace SpatialRegion.Api.Cli;

/// <summary>
/// Administrative commands, run with the same configuration as the service:
/// <c>dotnet run --project src/SpatialRegion.Api -- &lt;command&gt;</c>. Exit codes: 0 done, 1 failed, 2 wrong usage.
/// </summary>
public static class CommandLine
{
    private const string Usage = """
        Usage: SpatialRegion.Api <command> [options]

          (no command)                 serve the HTTP API
          migrate                      apply schema migrations
          setup                        migrate, then import the default layers and road networks that are
                                       missing, load the shipped indicators that have no values yet and
                                       import the measures of the data directory (unchanged ones are left alone)
          import-defaults [--force] [--only id,id]
                                       import the default layers of data/layers.json and road networks of
                                       data/networks.json (--force: all, replacing)
          import-network <network-id> <file.geojson> [--class-property <property>] [--join-tolerance <m>]
                 [--speed-table <name>] [--title <text>] [--source <text>] [--licence <text>]
                                       import road lines as a routable network (and its layers); one-way
                                       roads where a line's "oneway" is yes/true/1 (or -1: against the drawing)
          import <layer-id> <file.geojson> [--key <property>] [--merge] [--title <text>]
                 [--description <text>] [--source <text>] [--licence <text>]
                                       import a GeoJSON FeatureCollection as a new or replacing layer
          delete-layer <layer-id>      remove a layer and its features
          load-indicators [--force] [--only id,id]
                                       load the shipped indicators' values from the statistics files of the
                                       data directory (--force: also those that have values; only changes are written)
          layers                       list the layers in the registry
          create-api-key <name> --role editor|admin
                                       create an API key for callers that write; it is printed once
          revoke-api-key <name>        revoke a key
          api-keys                     list the keys (names, roles, use; never the keys)

        The database is ConnectionStrings__Postgis; source data is found in SpatialRegion__DataDir.
        """;

    private static readonly string[] Commands =
    [
        "migrate", "setup", "import-defaults", "import", "import-network", "delete-layer", "layers", "load-indicators", "create-api-key", "revoke-api-key",
        "api-keys", "help", "--help", "-h",
    ];

    public static bool IsCommand(string[] args) => args.Length > 0 && Commands.Contains(args[0]);

    public static async Task<int> RunAsync(string[] args)
    {
        if (args[0] is "help" or "--help" or "-h")
        {
            Console.WriteLine(Usage);
            return 0;
        }

        Options options;
        try
        {
            options = Options.Parse(args.Skip(1).ToArray());
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message + Environment.NewLine + Environment.NewLine + Usage);
            return 2;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        // The commands print their own progress; the log is for warnings and errors only.
        builder.Configuration["Logging:LogLevel:Default"] = "Warning";
        builder.Configuration["Logging:LogLevel:Npgsql"] = "Warning";
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        var ct = cts.Token;

        try
        {
            builder.Services.AddSpatialRegionCore();
            using var host = builder.Build();
            var services = host.Services;
            var migrator = services.GetRequiredService<Migrator>();
            void Print(string line) => Console.WriteLine(line);

            switch (args[0])
            {
                case "migrate":
                    Print($"Applied {await migrator.MigrateAsync(ct)} migration(s).");
                    return 0;

                case "setup":
                case "import-defaults":
                    {
                        await migrator.MigrateAsync(ct);
                        var defaults = services.GetRequiredService<DefaultLayers>();
                        Print($"Source data: {defaults.DataDir}");
                        var onlyMissing = args[0] == "setup" || !options.Flags.Contains("force");
                        var only = options.Named.TryGetValue("only", out var list) ? list.Split(',', StringSplitOptions.TrimEntries) : null;
                        var reports = await defaults.ImportAsync(onlyMissing, only, Print, ct);
                        Print(reports.Count == 0 ? "All default layers are present." : $"Imported {reports.Count} layer(s).");
                        var networks = await services.GetRequiredService<Networks.DefaultNetworks>().ImportAsync(onlyMissing, only, Print, ct);
                        Print(networks.Count == 0 ? "All default road networks are present." : $"Imported {networks.Count} road network(s).");
                        if (args[0] == "setup")
                        {
                            await LoadIndicatorsAsync(services, onlyMissing: true, null, Print, ct);
                            await services.GetRequiredService<MeasureSeeds>().LoadAsync(Print, ct);
                        }
                        return 0;
                    }

                case "load-indicators":
                    {
                        await migrator.MigrateAsync(ct);
                        var only = options.Named.TryGetValue("only", out var list) ? list.Split(',', StringSplitOptions.TrimEntries) : null;
                        await LoadIndicatorsAsync(services, onlyMissing: !options.Flags.Contains("force"), only, Print, ct);
                        return 0;
                    }

                case "import":
                    {
                        if (options.Positional.Count != 2)
                        {
                            throw new ArgumentException("import needs a layer id and a file.");
                        }
                        await migrator.MigrateAsync(ct);
                        var report = await services.GetRequiredService<LayerImporter>().ImportAsync(new LayerImportRequest(
                            options.Positional[0], options.Positional[1],
                            options.Named.GetValueOrDefault("key"), options.Flags.Contains("merge"),
                            options.Named.GetValueOrDefault("title"), options.Named.GetValueOrDefault("description"),
                            options.Named.GetValueOrDefault("source"), options.Named.GetValueOrDefault("licence")), Print, ct);
                        Print(report.ToString());
                        return 0;
                    }

                case "import-network":
                    {
                        if (options.Positional.Count != 2)
                        {
                            throw new ArgumentException("import-network needs a network id and a file.");
                        }
                        var tolerance = options.Named.TryGetValue("join-tolerance", out var t)
                            ? double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var m) && m >= 0 && m <= 1000
                                ? m : throw new ArgumentException("--join-tolerance must be a number of metres from 0 to 1000.")
                            : 0;
                        await migrator.MigrateAsync(ct);
                        var file = options.Positional[1];
                        var report = await services.GetRequiredService<Networks.NetworkImporter>().ImportAsync(new Networks.NetworkImportRequest(
                            options.Positional[0], options.Named.GetValueOrDefault("title"),
                            options.Named.GetValueOrDefault("speed-table") ?? Networks.SpeedTable.Default,
                            [new Networks.NetworkSourceFile(Path.GetFileName(file),
                                () => File.Exists(file) ? File.OpenRead(file) : throw new ImportException($"File not found: {file}"),
                                options.Named.GetValueOrDefault("class-property") ?? "kkod", tolerance)],
                            Source: options.Named.GetValueOrDefault("source"), Licence: options.Named.GetValueOrDefault("licence")), Print, ct);
                        Print(report.ToString());
                        return 0;
                    }

                case "delete-layer":
                    {
                        if (options.Positional.Count != 1)
                        {
                            throw new ArgumentException("delete-layer needs a layer id.");
                        }
                        await migrator.MigrateAsync(ct);
                        var deleted = await services.GetRequiredService<LayerImporter>().DeleteAsync(options.Positional[0], ct);
                        Print(deleted ? $"Deleted layer '{options.Positional[0]}'." : $"There is no layer '{options.Positional[0]}'.");
                        return deleted ? 0 : 1;
                    }

                case "create-api-key":
                    {
                        if (options.Positional.Count != 1 || !options.Named.TryGetValue("role", out var role))
                        {
                            throw new ArgumentException("create-api-key needs a name and --role editor|admin.");
                        }
                        await migrator.MigrateAsync(ct);
                        var key = await services.GetRequiredService<ApiKeyStore>().CreateAsync(options.Positional[0], role, ct);
                        Print($"API key '{options.Positional[0]}' ({role}). Keep it now; it is stored only as a hash and cannot be shown again:");
                        Print(key);
                        return 0;
                    }

                case "revoke-api-key":
                    {
                        if (options.Positional.Count != 1)
                        {
                            throw new ArgumentException("revoke-api-key needs the key's name.");
                        }
                        await migrator.MigrateAsync(ct);
                        var revoked = await services.GetRequiredService<ApiKeyStore>().RevokeAsync(options.Positional[0], ct);
                        Print(revoked ? $"Revoked '{options.Positional[0]}'." : $"No active key named '{options.Positional[0]}'.");
                        return revoked ? 0 : 1;
                    }

                case "api-keys":
                    {
                        await migrator.MigrateAsync(ct);
                        foreach (var k in await services.GetRequiredService<ApiKeyStore>().ListAsync(ct))
                        {
                            Print(FormattableString.Invariant(
                                $"{k.Name,-24} {k.Role,-7} {k.Prefix}…  created {k.CreatedAt:yyyy-MM-dd}  last used {(k.LastUsedAt is { } u ? u.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) : "never")}{(k.RevokedAt is null ? "" : "  REVOKED")}"));
                        }
                        return 0;
                    }

                case "layers":
                    {
                        await migrator.MigrateAsync(ct);
                        foreach (var layer in await services.GetRequiredService<LayerCatalog>().AllAsync(ct))
                        {
                            Print(FormattableString.Invariant($"{layer.Id,-24} {layer.FeatureCount,7} {layer.GeometryType,-16} v{layer.Version}  {layer.Title}"));
                        }
                        return 0;
                    }
            }
            return 2;
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message + Environment.NewLine + Environment.NewLine + Usage);
            return 2;
        }
        catch (ImportException e)
        {
            await Console.Error.WriteLineAsync("Import failed, nothing was changed: " + e.Message);
            return 1;
        }
        catch (Exception e) when (e is InvalidOperationException or DirectoryNotFoundException or Npgsql.NpgsqlException or Microsoft.Extensions.Options.OptionsValidationException)
        {
            await Console.Error.WriteLineAsync("Failed: " + e.Message);
            return 1;
        }
    }

    private static async Task LoadIndicatorsAsync(
        IServiceProvider services, bool onlyMissing, IReadOnlyCollection<string>? only, Action<string> print, CancellationToken ct)
    {
        var changed = await services.GetRequiredService<IndicatorCatalogue>().SyncShippedAsync(ct);
        print($"Indicator catalogue: {IndicatorCatalogue.Shipped.Count} shipped, {changed} added or updated.");
        var reports = await services.GetRequiredService<IndicatorSeeds>().LoadAsync(onlyMissing, only, print, ct);
        print(reports.Count == 0 ? "All shipped indicators have values." : $"Loaded values of {reports.Count} indicator(s).");
    }

    private sealed record Options(List<string> Positional, Dictionary<string, string> Named, HashSet<string> Flags)
    {
        private static readonly string[] FlagNames = ["merge", "force"];
        private static readonly string[] ValueNames =
            ["key", "title", "description", "source", "licence", "only", "role", "class-property", "join-tolerance", "speed-table"];

        public static Options Parse(string[] args)
        {
            var options = new Options([], new Dictionary<string, string>(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal));
            for (var i = 0; i < args.Length; i++)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal))
                {
                    options.Positional.Add(args[i]);
                    continue;
                }
                var name = args[i][2..];
                if (FlagNames.Contains(name))
                {
                    options.Flags.Add(name);
                }
                else if (ValueNames.Contains(name))
                {
                    options.Named[name] = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"--{name} needs a value.");
                }
                else
                {
                    throw new ArgumentException($"Unknown option --{name}.");
                }
            }
            return options;
        }
    }
}
