/**
 * Runs a fault-injection case in a child Node process, so its memory is its own (jest's worker
 * would blur the RSS) and a case that hangs the event loop or grows without bound can be stopped:
 * the parent samples the child's RSS and kills it past a memory ceiling or a deadline.
 *
 * The children run the packages' built output (`dist`), so the packages are built first (a no-op
 * when they are up to date, as in `npm test`, which builds before running jest).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(__dirname, "../../..");
const MB = 1024 * 1024;

/** Builds the packages the child scripts import (incremental: about 0.2 s when nothing changed). */
export function buildPackagesForChildren(): void {
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-b", "packages/transport-node", "packages/broker"], { cwd: root });
}

/** The resident set size of a process, from /proc (undefined where there is no /proc). */
function residentBytes(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Children still running: killed when this process exits (jest's forceExit included), so none is left behind. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface WatchLimits {
  /** Kill the child when its RSS exceeds its first report's `rss` by this many bytes. */
  readonly killAboveGrowthBytes: number;
  /** Kill the child after this long (from its first report). */
  readonly deadlineMs: number;
}

/**
 * A running child script. It writes one JSON object per line on stdout; the first must carry its
 * `rss` once ready (the baseline its growth is measured from).
 */
export class WatchedChild {
  /** Highest RSS sampled by the parent, in bytes. */
  peakRssBytes = 0;
  /** Why the parent killed the child, if it did. */
  killed: "memory ceiling" | "deadline" | undefined;
  /** When it was killed, in ms after its first report. */
  killedAfterMs = 0;
  readonly exited: Promise<number | null>;
  private readonly lines: Record<string, unknown>[] = [];
  private lineWaiter: (() => void) | undefined;
  private sampler: ReturnType<typeof setInterval> | undefined;
  private baselineRss = 0;
  private readyAt = 0;
  private closed = false;
  private readonly child;

  constructor(
    script: string,
    argument: unknown,
    private readonly limits: WatchLimits,
  ) {
    this.child = spawn(process.execPath, ["--expose-gc", join(__dirname, script), JSON.stringify(argument)], {
      cwd: root,
      stdio: ["pipe", "pipe", "inherit"],
    });
    running.add(this.child);
    let buffered = "";
    this.child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let newline = buffered.indexOf("\n"); newline >= 0; newline = buffered.indexOf("\n")) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.trim() !== "") this.received(JSON.parse(line) as Record<string, unknown>);
      }
    });
    // "close", not "exit": every line it wrote has been read by then.
    this.exited = new Promise((resolvePromise) =>
      this.child.on("close", (code) => {
        this.closed = true;
        running.delete(this.child);
        clearInterval(this.sampler);
        this.wake();
        resolvePromise(code);
      }),
    );
  }

  /** The child's RSS at its first report. */
  get baselineRssBytes(): number {
    return this.baselineRss;
  }

  /** Peak RSS growth over the baseline: the higher of what the parent sampled and the peak the child reports. */
  growthBytes(reportedPeakRss = 0): number {
    return Math.max(this.peakRssBytes, reportedPeakRss) - this.baselineRss;
  }

  /** The next line the child writes, or undefined if it exits (or is killed) first. */
  async next(): Promise<Record<string, unknown> | undefined> {
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line;
      if (this.closed) return undefined;
      await new Promise<void>((wake) => (this.lineWaiter = wake));
    }
  }

  /** Sends one JSON line to the child's stdin. */
  send(message: unknown): void {
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  /** Ends the child (it exits when its stdin closes; killed if it does not within a second). */
  async stop(): Promise<void> {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 1000);
    await this.exited;
    clearTimeout(timer);
  }

  private received(line: Record<string, unknown>): void {
    if (this.sampler === undefined && typeof line.rss === "number") {
      this.baselineRss = line.rss;
      this.peakRssBytes = line.rss;
      this.readyAt = Date.now();
      this.sampler = setInterval(() => this.sample(), 20);
    }
    this.lines.push(line);
    this.wake();
  }

  private sample(): void {
    const rss = residentBytes(this.child.pid!);
    if (rss !== undefined) this.peakRssBytes = Math.max(this.peakRssBytes, rss);
    if (this.killed !== undefined) return;
    if (rss !== undefined && rss - this.baselineRss > this.limits.killAboveGrowthBytes) this.killed = "memory ceiling";
    else if (Date.now() - this.readyAt > this.limits.deadlineMs) this.killed = "deadline";
    if (this.killed === undefined) return;
    this.killedAfterMs = Date.now() - this.readyAt;
    this.child.kill("SIGKILL");
  }

  private wake(): void {
    const wake = this.lineWaiter;
    this.lineWaiter = undefined;
    wake?.();
  }
}

/** Bytes as MB with one decimal, for messages. */
export function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}
