import { runCli } from "./cli.ts";

process.exitCode = await runCli(process.argv.slice(2));
// Ctrl-C handlers and stdin would otherwise keep the process alive after the command is done.
process.stdin.destroy();
