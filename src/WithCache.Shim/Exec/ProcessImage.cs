using System.Runtime.InteropServices;

namespace WithCache.Shim.Exec;

/// <summary>Replaces this process with the real tool: same pid, stdio, exit code and signals as the caller's.</summary>
internal static class ProcessImage
{
    /// <summary>Names every shim binary already in the chain, so a shim that finds another shim on PATH skips it.</summary>
    public const string ChainVariable = "WITHCACHE_SHIM_CHAIN";

    /// <summary>execv; returns only when exec failed, with the exit code the shim should end with (127).</summary>
    public static int Replace(string path, string argv0, IReadOnlyList<string> args, string chain)
    {
        _ = Libc.Setenv(ChainVariable, chain, 1);

        // The .NET runtime ignores SIGPIPE; an ignored signal stays ignored across exec, and the real tool
        // must see the default (killed by a closed pipe), as it would when run directly.
        _ = Libc.Signal(Libc.SigPipe, 0);

        var argv = new nint[args.Count + 2];
        argv[0] = Marshal.StringToCoTaskMemUTF8(argv0);
        for (var i = 0; i < args.Count; i++)
        {
            argv[i + 1] = Marshal.StringToCoTaskMemUTF8(args[i]);
        }

        _ = Libc.Execv(path, argv);
        var errno = Marshal.GetLastPInvokeError();
        foreach (var pointer in argv)
        {
            Marshal.FreeCoTaskMem(pointer);
        }

        ShimConsole.Error($"cannot execute {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        return 127;
    }
}
