using System.Runtime.Versioning;

// The shims exec real curl and wget: Linux only.
[assembly: SupportedOSPlatform("linux")]
