/**
 * Interoperation with franz-kafka 0.7.5, a Node 0.7 client of the era: its gzip produce requests
 * decode in k07, and k07's gzip wrappers decode with franz-kafka's own fetch parser. franz-kafka's
 * internal modules are called directly (they are factories taking their dependencies), so no
 * broker or socket is involved.
 */
import { createRequire } from "node:module";
import { inherits } from "node:util";
import * as zlib from "node:zlib";
import { createGzipMessage, createMessage, createSnappyMessage, decodeMessageSet, decodeRequest, encodeMessages } from "../src/index.ts";

// franz-kafka resolves its own dependencies (buffer-crc32, the optional native snappy) from its folder.
const franzRequire = createRequire(require.resolve("franz-kafka/package.json"));
const crc32 = franzRequire("buffer-crc32");
/** The native `snappy` package franz-kafka uses for codec 2, when it is installed for this platform. */
const nativeSnappy: { compressSync(input: Uint8Array): Buffer; uncompressSync(input: Uint8Array): Buffer } | undefined = (() => {
  try {
    return franzRequire("snappy");
  } catch {
    return undefined;
  }
})();

const State = franzRequire("./client/state.js")(inherits);
const FranzMessage = franzRequire("./client/message.js")(zlib, nativeSnappy, crc32);
const RequestHeader = franzRequire("./client/request-header.js")();
const FranzProduceRequest = franzRequire("./client/produce-request.js")(inherits, RequestHeader, FranzMessage, State);
const FetchBody = franzRequire("./client/fetch-response.js")(inherits, State, FranzMessage);

const GZIP = 1;

/** The produce frame franz-kafka writes for `payloads` on a topic configured with `compression`. */
function franzProduceFrame(topic: string, partition: number, payloads: string[], compression: number): Promise<Buffer> {
  const messages = payloads.map((p) => FranzMessage.create(Buffer.from(p)));
  const request = new FranzProduceRequest({ name: topic, compression, maxMessageSize: 1_000_000 }, partition, messages);
  const written: Buffer[] = [];
  const stream = { write: (chunk: Buffer) => (written.push(Buffer.from(chunk)), true) };
  return new Promise((resolve, reject) =>
    request.serialize(stream, (error: Error | null) => (error ? reject(error) : resolve(Buffer.concat(written)))),
  );
}

/** What franz-kafka's consumer hands to its application for a fetched message set: every payload, wrappers unpacked. */
async function franzPayloads(messageSet: Uint8Array): Promise<string[]> {
  const body = new FetchBody(messageSet.length);
  Buffer.from(messageSet).copy(body.buffer);
  const messages: any[] = body.parse();
  const payloads: string[] = [];
  for (const message of messages) {
    const unpacked: Buffer[] = await new Promise((resolve) => message.unpack(resolve));
    payloads.push(...unpacked.map((p) => p.toString()));
  }
  return payloads;
}

const PAYLOADS = ["hello", "wörld", "", "x".repeat(5000), JSON.stringify({ event: "click", at: 1 })];

describe("franz-kafka → k07", () => {
  test("a gzip produce request from franz-kafka decodes in k07 as one wrapper holding the messages", async () => {
    const frame = await franzProduceFrame("events", 2, PAYLOADS, GZIP);
    const request = decodeRequest(frame.subarray(4));
    if (request.type !== 0) throw new Error(`expected a produce request, got type ${request.type}`);
    expect([request.topic, request.partition]).toEqual(["events", 2]);

    const set = decodeMessageSet(request.messageSet);
    expect(set.entryCount).toBe(1);
    expect(decodeMessageSet(request.messageSet, { decompress: false }).toArray()[0]!.compression).toBe(GZIP);
    expect(set.toArray().map((m) => m.text())).toEqual(PAYLOADS);
  });

  (nativeSnappy ? test : test.skip)("raw snappy from the native `snappy` package (franz-kafka's codec 2 format) decodes in k07", () => {
    // franz-kafka calls `snappy.compress(buffer, cb)`, the callback API of snappy < 7; the block format is the same.
    const inner = encodeMessages(PAYLOADS.map((p) => createMessage(p)));
    const wrapper = { magic: 1 as const, attributes: 2, payload: new Uint8Array(nativeSnappy!.compressSync(inner)) };
    expect(
      decodeMessageSet(encodeMessages([wrapper]))
        .toArray()
        .map((m) => m.text()),
    ).toEqual(PAYLOADS);
  });
});

describe("k07 → franz-kafka", () => {
  test("franz-kafka's fetch parser reads k07 gzip wrappers and plain messages side by side", async () => {
    const set = encodeMessages([
      createMessage("plain before"),
      createGzipMessage(PAYLOADS.map((p) => createMessage(p))),
      createMessage("plain after"),
    ]);
    expect(await franzPayloads(set)).toEqual(["plain before", ...PAYLOADS, "plain after"]);
  });

  test("the bytes franz-kafka's gzip wrapper would carry and k07's inflate to the same message set", async () => {
    const batch = PAYLOADS.map((p) => createMessage(p));
    const [k07Wrapper] = decodeMessageSet(encodeMessages([createGzipMessage(batch)]), { decompress: false }).toArray();
    expect(zlib.gunzipSync(k07Wrapper!.payload).equals(Buffer.from(encodeMessages(batch)))).toBe(true);
  });

  (nativeSnappy ? test : test.skip)("k07 writes snappy-java framing as Java does, which raw-snappy readers such as franz-kafka cannot read", () => {
    // A documented limit of franz-kafka (and kafka-python 0.1): they hand codec-2 payloads to raw snappy,
    // which reads the xerial header as a block. Java consumers need the framing, so k07 writes it.
    const [wrapper] = decodeMessageSet(encodeMessages([createSnappyMessage([createMessage("x")])]), { decompress: false }).toArray();
    expect(Array.from(wrapper!.payload.subarray(0, 8))).toEqual([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
    expect(() => nativeSnappy!.uncompressSync(wrapper!.payload)).toThrow();
  });
});
