/** Consuming large compressed batches leaves room for timers and I/O: a wrapper is inflated synchronously, so the client must yield between wrappers. */
import { startBroker } from "@k07/broker";
import { FetchRequest, KafkaClient, ProduceRequest, createMessage } from "@k07/transport-node";

test("iterMessages lets timers run while it works through big gzip batches", async () => {
  const broker = await startBroker();
  const kafka = new KafkaClient(broker.host, broker.port);
  const payload = new Uint8Array(100).fill(42);
  for (let i = 0; i < 20; i++) {
    await kafka.sendMessageSet(
      new ProduceRequest(
        "loop",
        0,
        Array.from({ length: 5000 }, () => createMessage(payload)),
        { compression: "gzip" },
      ),
    );
  }
  await kafka.confirm();
  let ticks = 0;
  let longestGap = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
    ticks++;
  }, 1);
  let count = 0;
  const started = performance.now();
  for await (const m of kafka.iterMessages(new FetchRequest("loop", 0, 0, 1024 * 1024))) {
    if (m.payloadLength === 100) count++;
  }
  const elapsed = performance.now() - started;
  clearInterval(ticker);
  await kafka.close();
  await broker.close();
  expect(count).toBe(100_000);
  // Timers ran throughout, not only at the end: at least one tick per ~25 ms of work.
  expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsed / 25));
});
