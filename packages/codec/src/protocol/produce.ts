// Produce (protocol §2.2), after the frame's size:int32 prefix; the broker sends no response:
//   ProduceRequest => type:int16(0) topic:string partition:int32 messageSetSize:int32 messageSet:bytes
import { compressionId, type CompressionName, type Compression } from "../compression.ts";
import { ENTRY_OVERHEAD_MAGIC1, createCompressedMessage, createMessage, entrySize, isMessage, type Message } from "../message/message.ts";
import { EncodedMessageSet, messageSetSize, writeMessageSet, type MessageEntries, type MessageSetInput } from "../message/message-set.ts";
import { Reader } from "../primitives/reader.ts";
import { encodeTopic, encodeUtf8 } from "../primitives/text.ts";
import { INT32_MAX, checkInt32, checkTopic, checkWireSize, describe } from "../primitives/validate.ts";
import type { Writer } from "../primitives/writer.ts";
import type { CodecHooks, EncodeOptions } from "../hooks.ts";
import { SIZE_PREFIX, frameWriter } from "./frame.ts";
import type { Crc32Function } from "../crc32.ts";
import { RequestType } from "./request-type.ts";

/** The fields of a produce (protocol §2.2), as decoded or as given to the encoder. */
export interface ProduceRequestData {
  readonly topic: string;
  /** Partition, or −1 to let the broker pick one at random. */
  readonly partition: number;
  readonly messageSet: MessageSetInput;
}

/** A produce as decoded by a broker or proxy: the message set is a view of the received bytes. */
export interface DecodedProduce {
  readonly topic: string;
  readonly partition: number;
  readonly messageSet: Uint8Array;
}

/** With `compression`, the hooks hash and allocate the batch that is compressed here. */
export interface ProduceRequestOptions extends CodecHooks {
  /** Compress the batch into one magic-1 wrapper message, as the Java producer does. */
  readonly compression?: CompressionName | Compression;
}

/** One message of a produce, as `ProduceRequest` takes it: bytes, text (sent as UTF-8), or a message from `createMessage`. */
export type ProducePayload = Uint8Array | string | Message;

/** Reads a request's entries to write (set by the class, which alone sees its private fields). */
let entriesOf: (request: ProduceRequest) => MessageEntries | EncodedMessageSet;

/**
 * An immutable produce request. The messages may be given as payloads (bytes or text; each one a
 * plain magic-1 message, as `createMessage(payload)` would make) or as messages, mixed freely:
 * `new ProduceRequest(topic, partition, payloads)` is the fastest way to encode many messages, since
 * no object is made per payload. With a compression option the messages are compressed once, here,
 * into a single wrapper; `messageSet` is what goes on the wire.
 */
export class ProduceRequest implements ProduceRequestData {
  readonly type = RequestType.Produce;
  readonly topic: string;
  readonly partition: number;
  readonly compression: Compression;
  /** Wire size of `messageSet`, computed once here rather than at every encode. */
  readonly messageSetBytes: number;
  /**
   * Bytes of the longest payload in `messageSet` (the compressed wrapper's, with compression; 0 for a
   * pre-encoded set): what a client checks against the broker's largest message.
   */
  readonly largestPayloadBytes: number;
  /** What was given: payloads (text already encoded), messages, or the pre-encoded set. */
  readonly #given: MessageEntries | EncodedMessageSet;
  /** What is written: `#given`, or the compressed wrapper holding it. */
  readonly #written: MessageEntries | EncodedMessageSet;
  /** `messages`, made on first use when payloads were given. */
  #messages: MessageSetInput | undefined;

  static {
    entriesOf = (request) => request.#written;
  }

  constructor(topic: string, partition: number, messages: MessageSetInput | readonly ProducePayload[], options: ProduceRequestOptions = {}) {
    checkTopic(topic);
    checkInt32("partition", partition, -1);
    this.topic = topic;
    this.partition = partition;
    this.compression = compressionId(options.compression);
    if (messages instanceof EncodedMessageSet) {
      if (this.compression !== 0) throw new TypeError("compression applies to messages, not to a pre-encoded message set");
      this.#given = this.#written = this.#messages = messages;
      this.largestPayloadBytes = 0;
      this.messageSetBytes = messages.bytes.length;
    } else {
      const given = givenEntries(messages);
      this.#given = given.entries;
      if (given.allMessages) this.#messages = given.entries as readonly Message[];
      // An empty batch is sent as an empty set, never as a wrapper of nothing (protocol §5.5).
      if (this.compression === 0 || given.entries.length === 0) {
        this.#written = given.entries;
        this.messageSetBytes = given.setBytes;
        this.largestPayloadBytes = given.largestPayloadBytes;
      } else {
        const wrapper = createCompressedMessage(given.entries, this.compression, options);
        this.#written = Object.freeze([wrapper]);
        this.messageSetBytes = entrySize(wrapper);
        this.largestPayloadBytes = wrapper.payload.length;
      }
    }
    // Checked here as well as at encoding, so that an unsendable request is never built.
    checkWireSize("a Produce request", 2 + produceBodySize(this), INT32_MAX - SIZE_PREFIX, "the largest frame");
    Object.freeze(this);
  }

  /** The messages as given (payloads as the plain messages they stand for), or the pre-encoded set. */
  get messages(): MessageSetInput {
    if (this.#messages === undefined) {
      this.#messages = Object.freeze((this.#given as MessageEntries).map((entry) => (entry instanceof Uint8Array ? createMessage(entry) : entry)));
    }
    return this.#messages;
  }

  /** What is written: the messages, or the compressed wrapper holding them. */
  get messageSet(): MessageSetInput {
    return this.#written === this.#given ? this.messages : (this.#written as readonly Message[]);
  }
}

interface GivenEntries {
  readonly entries: MessageEntries;
  /** Their wire size as a message set. */
  readonly setBytes: number;
  readonly largestPayloadBytes: number;
  /** Whether every entry is a message (so the list is `messages` as it is). */
  readonly allMessages: boolean;
}

/**
 * A produce's list checked and kept as entries: payloads as bytes (text encoded here, once),
 * messages as they are; a frozen copy unless the list was frozen already and needs no encoding.
 */
function givenEntries(list: readonly ProducePayload[]): GivenEntries {
  if (!Array.isArray(list as unknown)) {
    throw new TypeError(`messages must be an array of messages or payloads, or an EncodedMessageSet, got ${describe(list)}`);
  }
  let setBytes = 0;
  let largestPayloadBytes = 0;
  let allMessages = true;
  let text = false;
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    let payloadBytes: number;
    if (item instanceof Uint8Array) {
      payloadBytes = item.length;
      setBytes += ENTRY_OVERHEAD_MAGIC1 + payloadBytes;
      allMessages = false;
    } else if (typeof item === "string") {
      payloadBytes = 0; // counted once it is encoded, below
      allMessages = false;
      text = true;
    } else if (isMessage(item)) {
      payloadBytes = item.payload.length;
      setBytes += entrySize(item);
    } else {
      throw new TypeError(`messages[${i}] is not a message (use createMessage) or a payload (bytes or a string), got ${describe(item)}`);
    }
    if (payloadBytes > largestPayloadBytes) largestPayloadBytes = payloadBytes;
  }
  if (!text) {
    const entries = Object.isFrozen(list) ? (list as MessageEntries) : Object.freeze(list.slice() as MessageEntries);
    return { entries, setBytes, largestPayloadBytes, allMessages };
  }
  const entries = list.map((item) => {
    if (typeof item !== "string") return item;
    const encoded = encodeUtf8(item);
    setBytes += ENTRY_OVERHEAD_MAGIC1 + encoded.length;
    if (encoded.length > largestPayloadBytes) largestPayloadBytes = encoded.length;
    return encoded;
  });
  return { entries: Object.freeze(entries), setBytes, largestPayloadBytes, allMessages };
}

/**
 * The checks of a produce's fields (TypeError or RangeError naming the field) for the encoders,
 * which accept plain data too (a ProduceRequest checked its own when it was built). The frame's
 * size is checked where it is computed: by the constructor, or by the encoder.
 */
export function checkProduceFields(produce: ProduceRequestData): void {
  checkTopic(produce.topic);
  checkInt32("partition", produce.partition, -1);
  const messages = produce.messageSet;
  if (messages instanceof EncodedMessageSet) return;
  if (!Array.isArray(messages as unknown)) {
    throw new TypeError(`messages must be an array of messages or an EncodedMessageSet, got ${describe(messages)}`);
  }
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as Message | undefined;
    if (!isMessage(m)) throw new TypeError(`messages[${i}] is not a message (use createMessage), got ${describe(m)}`);
  }
}

function setBytesOf(produce: ProduceRequestData): number {
  return produce instanceof ProduceRequest ? produce.messageSetBytes : messageSetSize(produce.messageSet);
}

/** Bytes of one produce body (without the type field). */
export function produceBodySize(produce: ProduceRequestData): number {
  return 2 + encodeTopic(produce.topic).length + 4 + 4 + setBytesOf(produce);
}

/** Writes one produce body (the part MultiProduce repeats); messages are hashed by `crc32` (default the pure one). */
export function writeProduceBody(writer: Writer, produce: ProduceRequestData, crc32?: Crc32Function): void {
  writer.shortString(encodeTopic(produce.topic)).int32(produce.partition).int32(setBytesOf(produce));
  writeMessageSet(writer, produce instanceof ProduceRequest ? entriesOf(produce) : produce.messageSet, crc32);
}

/** Reads one produce body; a declared set size beyond the frame is a sticky error at that size field. */
export function readProduceBody(reader: Reader): DecodedProduce {
  const topic = reader.shortString();
  const partition = reader.int32();
  const messageSet = reader.sizedBytes();
  return { topic, partition, messageSet };
}

/**
 * A complete Produce request frame (size prefix included), allocated once — by `options.allocate`
 * when given: a buffer of exactly the size asked (a client can reuse its buffers) — and hashed by
 * `options.crc32`. A frame over `options.limit` (the broker's maximum) is a RangeError before
 * anything is allocated.
 */
export function encodeProduceRequest(produce: ProduceRequestData, options: EncodeOptions = {}): Uint8Array {
  if (!(produce instanceof ProduceRequest)) checkProduceFields(produce);
  const writer = frameWriter("a Produce request", 2 + produceBodySize(produce), options.allocate, options.limit);
  writer.int16(RequestType.Produce);
  writeProduceBody(writer, produce, options.crc32);
  return writer.finish();
}

/** Decodes the body of a Produce request; the message set is a view of `body`. */
export function decodeProduceRequestBody(body: Uint8Array): DecodedProduce {
  const reader = new Reader(body);
  const produce = readProduceBody(reader);
  reader.check("Produce request");
  return produce;
}

/**
 * One of each object a produce encode makes (a request from payloads, one from messages, with the
 * frozen copies of their lists, and the frame's Writer), kept for the life of the module for the
 * reason RESIDENT_DECODE_OBJECTS gives: without them a full garbage collection between encodes
 * drops their hidden classes and V8 throws away the optimized encode code ("reason: weak objects"
 * under --trace-deopt after each forced GC, gone with these kept).
 *
 * @internal
 */
export const RESIDENT_ENCODE_OBJECTS: readonly unknown[] = (() => {
  const fromPayloads = new ProduceRequest("k07", 0, [new Uint8Array(0)]);
  const fromMessages = new ProduceRequest("k07", 0, [createMessage(new Uint8Array(0))]);
  const writer = frameWriter("a Produce request", 2 + produceBodySize(fromPayloads));
  return [fromPayloads, fromMessages, writer];
})();
