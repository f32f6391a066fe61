/** Where a command writes: stdout for data, stderr for reports (replaceable in tests). */
export interface CommandIo {
  out(text: string): boolean | void;
  err(line: string): void;
  /** Resolves when stdout can take more (backpressure on a slow pipe). */
  drained(): Promise<void>;
  stdin: AsyncIterable<Uint8Array>;
  /** Whether stdin is a terminal (someone typing) rather than a pipe or file. */
  readonly stdinIsTerminal?: boolean;
  signal: AbortSignal;
}
