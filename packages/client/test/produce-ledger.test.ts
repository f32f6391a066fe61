/**
 * The ProduceLedger on its own: the record of produces written and not yet confirmed, shared by a
 * client's connections. Connections are plain objects here; a round trip is a function the test settles.
 */
import { MultiProduceRequest, ProduceLedger, ProduceNotConfirmedError, ProduceRequest, createMessage } from "@k07/client";

const produce = (topic: string) => new ProduceRequest(topic, 0, [createMessage("x")]);
const emptyMulti = () => new MultiProduceRequest([]);

/** What a confirm settled with: "confirmed", the requests its ProduceNotConfirmedError named, or another error. */
async function outcome(confirm: Promise<void>): Promise<"confirmed" | readonly unknown[] | Error> {
  try {
    await confirm;
    return "confirmed";
  } catch (error) {
    return error instanceof ProduceNotConfirmedError ? error.requests : (error as Error);
  }
}

/** A round trip that settles when the test says so. */
function deferred(): { roundTrip: (below: number) => Promise<void>; belows: number[]; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const belows: number[] = [];
  return {
    roundTrip: (below) => {
      belows.push(below);
      return promise;
    },
    belows,
    resolve,
    reject,
  };
}

test("produces are numbered in write order across connections", () => {
  const ledger = new ProduceLedger("h:1");
  const [a, b] = [{}, {}];
  expect(ledger.writtenCount).toBe(0);
  ledger.written(a, produce("t"));
  ledger.written(b, produce("t"));
  ledger.written(a, produce("t"));
  expect(ledger.writtenCount).toBe(3);
  // a holds numbers 0 and 2, b number 1.
  expect([ledger.pendingOn(a, 0), ledger.pendingOn(a, 1), ledger.pendingOn(b, 1), ledger.pendingOn(b, 2)]).toEqual([false, true, false, true]);
  expect(ledger.pendingOn(a)).toBe(true);
  expect(ledger.pendingOn({})).toBe(false);
});

test("a confirm's answer on one connection covers that connection's produces below its number, no others", () => {
  const ledger = new ProduceLedger("h:1");
  const [a, b] = [{}, {}];
  ledger.written(a, produce("t")); // 0
  ledger.written(b, produce("t")); // 1
  ledger.written(a, produce("t")); // 2
  ledger.written(a, produce("t")); // 3
  ledger.confirmed(a, 3);
  expect([ledger.pendingOn(a, 3), ledger.pendingOn(a), ledger.pendingOn(b)]).toEqual([false, true, true]);
  ledger.confirmed(a, 4);
  expect(ledger.pendingOn(a)).toBe(false);
});

test("the topic a confirm asks about is the newest pending produce's below the bound, on that connection, skipping empty MultiProduces", () => {
  const ledger = new ProduceLedger("h:1");
  const [a, b] = [{}, {}];
  ledger.written(a, produce("old")); // 0
  ledger.written(a, new MultiProduceRequest([produce("multi"), produce("other")])); // 1
  ledger.written(b, produce("on-b")); // 2
  ledger.written(a, emptyMulti()); // 3
  ledger.written(a, produce("newest")); // 4
  expect(ledger.topicOn(a, 5)).toBe("newest");
  expect(ledger.topicOn(a, 4)).toBe("multi");
  expect(ledger.topicOn(a, 1)).toBe("old");
  expect(ledger.topicOn(a, 0)).toBeUndefined();
  expect(ledger.topicOn(b, 5)).toBe("on-b");
  ledger.confirmed(a, 2);
  expect(ledger.topicOn(a, 4)).toBeUndefined();
});

test("a failed connection's produces are named by the next confirm, once, with where they went and why", async () => {
  const ledger = new ProduceLedger("broker:9092");
  const [a, b] = [{}, {}];
  const lost = [produce("t"), produce("u")];
  ledger.written(a, lost[0]!);
  ledger.written(b, produce("kept"));
  ledger.written(a, lost[1]!);
  const reason = new Error("reset by peer");
  ledger.failed(a, reason);
  expect(ledger.pendingOn(a)).toBe(false);
  expect(ledger.pendingOn(b)).toBe(true);
  const error = await ledger.confirm(async () => {}).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ProduceNotConfirmedError);
  expect(error).toMatchObject({
    message: "2 produce request(s) to broker:9092 may not have been applied: reset by peer",
    requests: lost,
    cause: reason,
  });
  expect(await outcome(ledger.confirm(async () => {}))).toBe("confirmed");
});

test("a confirm asks about the produces written before it; close's confirm also names those written while it waited", async () => {
  const ledger = new ProduceLedger("h:1");
  const a = {};
  const before = produce("before");
  const during = produce("during");
  ledger.written(a, before);
  const confirm = deferred();
  const confirming = outcome(ledger.confirm(confirm.roundTrip));
  const close = deferred();
  const closing = outcome(ledger.confirm(close.roundTrip, true));
  expect([confirm.belows, close.belows]).toEqual([[1], [1]]);
  ledger.written(a, during);
  ledger.failed(a, new Error("cut"));
  confirm.resolve();
  close.resolve();
  expect(await confirming).toEqual([before]);
  expect(await closing).toEqual([during]);
});

test("confirms name in call order, whichever round trip finishes first", async () => {
  const ledger = new ProduceLedger("h:1");
  const a = {};
  const first = produce("first");
  const second = produce("second");
  ledger.written(a, first);
  const slow = deferred();
  const earlier = outcome(ledger.confirm(slow.roundTrip));
  ledger.written(a, second);
  const later = outcome(ledger.confirm(async () => {}));
  ledger.failed(a, new Error("cut"));
  let laterSettled = false;
  void later.then(() => (laterSettled = true));
  await new Promise((resolve) => setTimeout(resolve, 5));
  // The later confirm's round trip is done, but it waits for the earlier one to name its produce first.
  expect(laterSettled).toBe(false);
  slow.resolve();
  expect(await earlier).toEqual([first]);
  expect(await later).toEqual([second]);
});

test("a confirm after a rejected confirm still runs (an earlier failure does not block the queue)", async () => {
  const ledger = new ProduceLedger("h:1");
  const a = {};
  ledger.written(a, produce("t"));
  const failing = deferred();
  const rejected = outcome(ledger.confirm(failing.roundTrip));
  failing.reject(new Error("round trip failed"));
  expect(await rejected).toEqual(new Error("round trip failed"));
  ledger.confirmed(a, 1);
  expect(await outcome(ledger.confirm(async () => {}))).toBe("confirmed");
});

test("a round trip that fails without failing its connection: the confirm rejects with its error while produces stay unconfirmed", async () => {
  const ledger = new ProduceLedger("h:1");
  const a = {};
  ledger.written(a, produce("t"));
  const timeout = new Error("no answer");
  // The produce is still pending: nothing vouches for it, so the confirm cannot resolve.
  expect(await outcome(ledger.confirm(() => Promise.reject(timeout)))).toBe(timeout);
  // Produces written after the confirm was called are not its business.
  const b = {};
  const fresh = new ProduceLedger("h:1");
  const confirming = outcome(
    fresh.confirm(async () => {
      fresh.written(b, produce("later"));
      throw timeout;
    }),
  );
  expect(await confirming).toBe("confirmed");
  // Its produces covered by another answer meanwhile: nothing is left to doubt, the confirm resolves.
  const covered = outcome(
    ledger.confirm(async () => {
      ledger.confirmed(a, 1);
      throw timeout;
    }),
  );
  expect(await covered).toBe("confirmed");
});
