import { SingleBar } from "cli-progress";

/** Counts and rate on stderr while a long run goes on, only when stderr is a terminal. */
export interface Progress {
  add(count: number): void;
  stop(): void;
}

export function startProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { add() {}, stop() {} };
  const started = Date.now();
  let total = 0;
  const bar = new SingleBar({
    stream,
    format: `${label} {value} messages, {rate} msg/s`,
    hideCursor: true,
    clearOnComplete: true,
    noTTYOutput: false,
  });
  bar.start(0, 0, { rate: 0 });
  return {
    add(count) {
      total += count;
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      bar.update(total, { rate: Math.round(total / seconds) });
    },
    stop() {
      bar.stop();
    },
  };
}
