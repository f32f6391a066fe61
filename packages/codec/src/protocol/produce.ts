// Produce (protocol §2.2), after the frame's size:int32 prefix; the broker sends no response:
//   ProduceRequest => type:int16(0) topic:string partition:int32 messageSetSize:int32 messageSet:bytes
import { compressionId, type CompressionName, type Compression } from "../compression.ts";
import { createCompressedMessage, type Message } from "../message/message.ts";
import { EncodedMessageSet, messageSetSize, writeMessageSet, type MessageSetInput } from "../message/message-set.ts";
import { Reader } from "../primitives/reader.ts";
import { encodeTopic } from "../primitives/text.ts";
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

/**
 * An immutable produce request. With a compression option the messages are compressed once, here,
 * into a single wrapper; `messageSet` is what goes on the wire.
 */
export class ProduceRequest implements ProduceRequestData {
  readonly type = RequestType.Produce;
  readonly topic: string;
  readonly partition: number;
  /** The messages as given (or the pre-encoded set). */
  readonly messages: MessageSetInput;
  /** What is written: the messages, or the compressed wrapper holding them. */
  readonly messageSet: MessageSetInput;
  readonly compression: Compression;
  /** Wire size of `messageSet`, computed once here rather than at every encode. */
  readonly messageSetBytes: number;

  constructor(topic: string, partition: number, messages: MessageSetInput, options: ProduceRequestOptions = {}) {
    checkProduceFields({ topic, partition, messageSet: messages });
    this.topic = topic;
    this.partition = partition;
    this.messages = messages instanceof EncodedMessageSet || Object.isFrozen(messages) ? messages : Object.freeze(messages.slice());
    this.compression = compressionId(options.compression);
    if (this.compression !== 0 && this.messages instanceof EncodedMessageSet) {
      throw new TypeError("compression applies to messages, not to a pre-encoded message set");
    }
    // An empty batch is sent as an empty set, never as a wrapper of nothing (protocol §5.5).
    this.messageSet =
      this.compression === 0 || (this.messages as readonly Message[]).length === 0
        ? this.messages
        : Object.freeze([createCompressedMessage(this.messages as readonly Message[], this.compression, options)]);
    this.messageSetBytes = messageSetSize(this.messageSet);
    // Checked here as well as at encoding, so that an unsendable request is never built.
    checkWireSize("a Produce request", 2 + produceBodySize(this), INT32_MAX - SIZE_PREFIX, "the largest frame");
    Object.freeze(this);
  }
}

/**
 * The checks of a produce's fields (TypeError or RangeError naming the field), shared by the
 * constructor and the encoders, which accept plain data too (a ProduceRequest has passed them).
 * The frame's size is checked where it is computed: by the constructor, or by the encoder.
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
    if (m === null || typeof m !== "object" || (m.magic !== 0 && m.magic !== 1) || !(m.payload instanceof Uint8Array)) {
      throw new TypeError(`messages[${i}] is not a message (use createMessage), got ${describe(m)}`);
    }
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
  writeMessageSet(writer, produce.messageSet, crc32);
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
