/**
 * Every size k07 writes on the wire is checked before any byte of it is written: against int32, and
 * for requests against the broker's max.socket.request.bytes. One helper, checkWireSize, does the
 * check everywhere; what is too large is a RangeError naming it.
 */
import {
  ClientSession,
  FetchRequest,
  MultiFetchRequest,
  MultiProduceRequest,
  OffsetRequest,
  ProduceRequest,
  Writer,
  checkWireSize,
  createMessage,
  encodeFetchResponseHeader,
  encodeRequest,
  type Allocator,
} from "../src/index.ts";

const INT32_MAX = 0x7fff_ffff;
const MIB = 1024 * 1024;

/** Runs `run` with an allocator to give the codec, and returns the sizes it was asked for. */
function allocationsDuring(run: (allocate: Allocator) => void): number[] {
  const sizes: number[] = [];
  run((size) => {
    sizes.push(size);
    return new Uint8Array(size);
  });
  return sizes;
}

/** `count` messages sharing one payload of `bytes` bytes: a huge request without huge memory. */
function messagesOf(count: number, bytes: number) {
  const payload = new Uint8Array(bytes);
  return Array.from({ length: count }, () => createMessage(payload));
}

describe("checkWireSize", () => {
  test("accepts sizes up to int32 and the limit, and returns them", () => {
    expect(checkWireSize("a frame", INT32_MAX)).toBe(INT32_MAX);
    expect(checkWireSize("a frame", 1000, 1000)).toBe(1000);
  });

  test("refuses a size past int32, naming what it is", () => {
    expect(() => checkWireSize("a MultiFetch response", INT32_MAX + 1)).toThrow(
      new RangeError(`a MultiFetch response of 2147483648 bytes does not fit an int32 size field (at most ${INT32_MAX})`),
    );
    expect(() => checkWireSize("a frame", Number.NaN)).toThrow(RangeError);
  });

  test("refuses a size past the peer's limit, naming the limit", () => {
    expect(() => checkWireSize("a Produce request", 1001, 1000, "maxRequestBytes")).toThrow(
      new RangeError("a Produce request of 1001 bytes exceeds maxRequestBytes of 1000 bytes"),
    );
  });
});

test("Writer.int32 refuses a value outside int32 instead of wrapping it", () => {
  const writer = new Writer(new Uint8Array(4));
  expect(() => writer.int32(INT32_MAX + 1)).toThrow(RangeError);
  expect(() => writer.int32(-0x8000_0001)).toThrow(RangeError);
  expect(writer.position).toBe(0);
  expect(Array.from(writer.int32(-1).finish())).toEqual([255, 255, 255, 255]);
});

test("a fetch response header whose size would pass int32 is a RangeError, never a negative size", () => {
  expect(Array.from(encodeFetchResponseHeader(0, INT32_MAX - 2))).toEqual([0x7f, 0xff, 0xff, 0xff, 0, 0]);
  expect(() => encodeFetchResponseHeader(0, INT32_MAX - 1)).toThrow(/a Fetch response of 2147483648 bytes does not fit/);
  expect(() => encodeFetchResponseHeader(0, 2_306_873_738, "a MultiFetch response")).toThrow(/a MultiFetch response of/);
});

describe("requests over int32 or over the broker's maximum are refused before anything is allocated", () => {
  test("a MultiProduce past int32 (two produces of 1.1 GiB, one shared payload)", () => {
    const half = new ProduceRequest("t", 0, messagesOf(1100, MIB));
    const sizes = allocationsDuring((allocate) => {
      expect(() => encodeRequest(new MultiProduceRequest([half, half]), { allocate })).toThrow(/a MultiProduce request of \d+ bytes/);
    });
    expect(sizes).toEqual([]);
  });

  test("a Produce past int32 cannot even be built", () => {
    expect(() => new ProduceRequest("t", 0, messagesOf(2100, MIB))).toThrow(/a Produce request of \d+ bytes does not fit an int32 size field/);
  });

  test.each([
    ["Produce", new ProduceRequest("t", 0, [createMessage(new Uint8Array(200))])],
    ["MultiProduce", new MultiProduceRequest([new ProduceRequest("t", 0, [createMessage(new Uint8Array(200))])])],
    ["Fetch", new FetchRequest("t".repeat(200), 0, 0, 100)],
    ["MultiFetch", new MultiFetchRequest(Array.from({ length: 20 }, () => new FetchRequest("t", 0, 0, 100)))],
    ["Offsets", new OffsetRequest("t".repeat(200), 0, -1, 1)],
  ] as const)("%s over a limit of 100 bytes", (name, request) => {
    const sizes = allocationsDuring((allocate) => {
      expect(() => encodeRequest(request, { allocate, limit: { maxBytes: 100, name: "maxRequestBytes" } })).toThrow(
        new RegExp(`an? ${name} request of \\d+ bytes exceeds maxRequestBytes of 100 bytes`),
      );
    });
    expect(sizes).toEqual([]);
  });
});

describe("ClientSession maxRequestBytes", () => {
  test("defaults to the broker's max.socket.request.bytes (104,857,600): a bigger produce is refused unsent", () => {
    const tooBig = new ProduceRequest("t", 0, messagesOf(101, MIB));
    const sizes = allocationsDuring((allocate) => {
      const session = new ClientSession({ allocate });
      expect(() => session.send(tooBig)).toThrow(/exceeds maxRequestBytes \(the broker's max.socket.request.bytes\) of 104857600 bytes/);
    });
    expect(sizes).toEqual([]);
  });

  test("a refused request leaves the session usable and queues nothing", () => {
    const session = new ClientSession<string>({ maxRequestBytes: 1000 });
    expect(() => session.send(new ProduceRequest("t", 0, [createMessage(new Uint8Array(2000))]))).toThrow(RangeError);
    expect(() => session.send(new MultiFetchRequest(Array.from({ length: 60 }, () => new FetchRequest("t", 0, 0, 100))), "token")).toThrow(
      RangeError,
    );
    expect(session.pendingCount).toBe(0);
    expect(session.failed).toBeUndefined();
    expect(session.send(new FetchRequest("t", 0, 0, 100), "ok").length).toBe(4 + 2 + 3 + 16);
    expect(session.pendingCount).toBe(1);
  });

  test("maxRequestBytes is checked", () => {
    for (const bad of [0, -1, 1.5, INT32_MAX + 1]) expect(() => new ClientSession({ maxRequestBytes: bad })).toThrow(RangeError);
  });
});
