/** Parses `host:port` (as `-b`/`--broker`/`--listen` take it). */
export function parseAddress(value: string, defaultPort = 9092): { host: string; port: number } {
  const colon = value.lastIndexOf(":");
  const host = colon >= 0 ? value.slice(0, colon) : value;
  const portText = colon >= 0 ? value.slice(colon + 1) : String(defaultPort);
  const port = Number(portText);
  if (host === "" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError(`expected host:port, got ${JSON.stringify(value)}`);
  }
  return { host, port };
}

/** A mistake in how the command was called: printed as one line, exit status 2. */
export class CliError extends Error {
  override name = "CliError";
}

/** Parses an integer option, with the option's name in the error. */
export function parseInteger(name: string, value: string, min = Number.MIN_SAFE_INTEGER): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isSafeInteger(n) || n < min)
    throw new CliError(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
}
