// An embedded broker in a child process for the hostile-client cases (run by watched-child.ts).
// Writes {port, rss} once listening; on each stdin line writes {worstStallMs, peakRss, closedByBroker}
// (the worst event-loop stall and peak RSS since it started listening); exits when stdin ends.
import { createInterface } from "node:readline";
import { startBroker } from "@k07/broker";
import { baselineRss, peakRss, watchStalls } from "./child-measures.mjs";

const write = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
let closedByBroker = 0;
const broker = await startBroker({
  ...JSON.parse(process.argv[2] ?? "{}"),
  port: 0,
  onEvent: (event) => {
    if (event.kind === "closed-by-broker") closedByBroker++;
  },
});
write({ port: broker.port, rss: baselineRss() });
const stalls = watchStalls();
const input = createInterface({ input: process.stdin });
input.on("line", () => write({ worstStallMs: stalls.worstMs, peakRss: peakRss(), closedByBroker }));
input.on("close", async () => {
  stalls.stop();
  await broker.close();
  process.exit(0);
});
