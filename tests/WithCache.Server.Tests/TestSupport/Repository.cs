namespace WithCache.Server.Tests.TestSupport;

/// <summary>Where the checkout is: the folder holding WithCache.slnx, above the test binaries.</summary>
public static class Repository
{
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WithCache.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("no WithCache.slnx above " + AppContext.BaseDirectory);
    }
}
