import { runBrokerCommand } from "./command.ts";

process.exitCode = await runBrokerCommand(process.argv.slice(2));
