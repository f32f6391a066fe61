import { Option, type Command } from "commander";
import { BROKER_FLAGS, brokerArguments, runBroker, type BrokerFlagValues } from "@k07/broker";
import { CliError } from "../address.ts";
import type { CommandIo } from "./io.ts";

/**
 * Adds `k07 broker` to the program: the broker package's command (the one behind `k07-broker`),
 * with the same flags. `--verbose` is the program's own, and also turns on the broker's event log.
 */
export function addBrokerCommand(program: Command, io: CommandIo, run: (action: () => Promise<number>) => Promise<void>, verbose: boolean): void {
  const command = program
    .command("broker")
    .description("run the embedded Kafka 0.7.2 broker until Ctrl-C (the same command as k07-broker)")
    .addHelpText("after", "\nWith k07's --verbose it also logs connections closed by the broker and dropped produces.");
  const options = BROKER_FLAGS.filter((flag) => flag.name !== "verbose").map((flag) => {
    const option = new Option(`--${flag.name}${flag.value ? ` <${flag.value}>` : ""}`, flag.help);
    command.addOption(option);
    return { name: flag.name, key: option.attributeName() };
  });
  command.action((parsed: Record<string, string | boolean | undefined>) =>
    run(() => {
      const values: Record<string, string | boolean | undefined> = { verbose };
      for (const { name, key } of options) values[name] = parsed[key];
      return brokerCommand(values, io);
    }),
  );
}

/** `k07 broker`: runs the broker until Ctrl-C; a bad flag value is a usage error (status 2). */
export function brokerCommand(values: BrokerFlagValues, io: CommandIo): Promise<number> {
  let args;
  try {
    args = brokerArguments(values);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  return runBroker(args, { out: (line) => void io.out(line + "\n"), err: io.err, signal: io.signal }, "k07 broker");
}
