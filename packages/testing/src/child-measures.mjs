// What the child processes of the fault-injection cases measure about themselves: peak RSS (VmHWM,
// reset once the child is ready, so start-up does not count) and the worst event-loop stall.
import { readFileSync, writeFileSync } from "node:fs";

/** Collects garbage, resets the kernel's peak-RSS mark (Linux), and returns the RSS now: the baseline. */
export function baselineRss() {
  globalThis.gc?.();
  try {
    writeFileSync("/proc/self/clear_refs", "5");
  } catch {
    // No /proc: the parent's sampling is all there is.
  }
  return process.memoryUsage().rss;
}

/** Peak RSS since the baseline (VmHWM), or the RSS now where /proc is missing. */
export function peakRss() {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // Fall through.
  }
  return process.memoryUsage().rss;
}

/** Measures the longest gap between 5 ms timer ticks from now until `stop()`, which returns it in ms. */
export function watchStalls() {
  let worst = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 5);
  return {
    /** The worst gap so far, the current one included. */
    get worstMs() {
      return Math.round(Math.max(worst, performance.now() - last));
    },
    stop() {
      clearInterval(ticker);
      return this.worstMs;
    },
  };
}
