return await WithCache.Server.Hosting.ServerCommand.RunAsync(args);
