namespace SpatialRegion.Api.Auth;

/// <summary>Reads are public. Writing data (uploads, saved analyses, deletes, job triggers, catalogue changes)
/// needs the editor role; admin may do everything an editor may.</summary>
public static class AuthPolicies
{
    public const string Editor = "editor";
    public const string Admin = "admin";
}

public static class ApiRoles
{
    public const string Editor = "editor";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Editor, Admin];
}
