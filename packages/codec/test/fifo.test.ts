/** Fifo: the one queue behind the client session's pending requests (and any other long queue). */
import fc from "fast-check";
import { Fifo } from "../src/index.ts";

test("items come out in the order they went in; an empty queue gives undefined", () => {
  const queue = new Fifo<string>();
  expect(queue.shift()).toBeUndefined();
  expect(queue.peek()).toBeUndefined();
  queue.push("a");
  queue.push("b");
  expect(queue.length).toBe(2);
  expect(queue.peek()).toBe("a");
  expect(queue.shift()).toBe("a");
  queue.push("c");
  expect(queue.drain()).toEqual(["b", "c"]);
  expect(queue.length).toBe(0);
  expect(queue.shift()).toBeUndefined();
});

test("behaves as an array used as a queue, across compactions, for any sequence of operations", () => {
  const operation = fc.oneof(fc.constant("shift" as const), fc.constant("drain" as const), fc.integer({ min: 1, max: 3000 }));
  fc.assert(
    fc.property(fc.array(operation, { maxLength: 20 }), (operations) => {
      const queue = new Fifo<number>();
      let model: number[] = [];
      let next = 0;
      for (const op of operations) {
        if (op === "shift") expect(queue.shift()).toBe(model.shift());
        else if (op === "drain") {
          expect(queue.drain()).toEqual(model);
          model = [];
        } else {
          // Push a run, then take most of it: the head passes 1024 and the array compacts.
          for (let i = 0; i < op; i++) {
            queue.push(next);
            model.push(next++);
          }
          const taken: (number | undefined)[] = [];
          for (let i = 0; i < op - 1; i++) taken.push(queue.shift());
          expect(taken).toEqual(model.splice(0, op - 1));
        }
        expect(queue.length).toBe(model.length);
        expect(queue.peek()).toBe(model[0]);
      }
    }),
    { numRuns: 50 },
  );
});

test("a taken item is no longer referenced by the queue", () => {
  const queue = new Fifo<object>();
  const taken = { taken: true };
  queue.push(taken);
  queue.push({ kept: true });
  queue.shift();
  // The backing array holds nothing that was taken (what a heap snapshot would keep alive).
  expect(Object.values(queue as unknown as { items: unknown[] }).flat()).not.toContain(taken);
});
