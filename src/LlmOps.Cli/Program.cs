using LlmOps.Cli;

return await LlmOpsCli.RunAsync(args);
