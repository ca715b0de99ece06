using Flow.Worker;

return await FlowCommandLine.RunAsync(args).ConfigureAwait(false);
