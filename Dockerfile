# Multi-stage build of the SpatialRegion service, for running against an external PostGIS:
#   docker build -t spatialregion .
#   docker run -p 8080:8080 -e ConnectionStrings__Postgis="Host=db;Database=spatialregion;Username=...;Password=..." \
#              -v /path/to/source/data:/data:ro spatialregion
# The container migrates the schema at start-up; `docker run ... spatialregion setup` also imports the default
# layers from /data.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# The build copies the map library from npm (pinned in package-lock.json) into the service's static files.
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig SpatialRegion.sln ./
COPY data/ data/
COPY src/ src/
RUN dotnet publish src/SpatialRegion.Api -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_URLS=http://+:8080 \
    SpatialRegion__DataDir=/data \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
EXPOSE 8080
USER app
ENTRYPOINT ["dotnet", "SpatialRegion.Api.dll"]
