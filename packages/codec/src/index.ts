/**
 * @k07/codec: the Apache Kafka 0.7 wire format, both directions, with no I/O.
 * Encoders write into exactly sized buffers; decoders return views into the received bytes.
 */
export * from "./errors.ts";
export { crc32, hashesWithHook, pureCrc32, type Crc32Function } from "./crc32.ts";
export { resolveHooks, type CodecHooks, type EncodeOptions } from "./hooks.ts";
export {
  Compression,
  compressionCodec,
  compressionId,
  decompressInSteps,
  registerCompressionCodec,
  type CompressionCodec,
  type CompressionName,
  type IncrementalDecompression,
} from "./compression.ts";
export { gzipCodec, snappyCodec } from "./compression/defaults.ts";
export { Reader, decodeUtf8 } from "./primitives/reader.ts";
export { Writer } from "./primitives/writer.ts";
export { concatBytes } from "./primitives/bytes.ts";
export { allocate, type Allocator } from "./primitives/allocate.ts";
export { Fifo } from "./primitives/fifo.ts";
export { encodeUtf8, encodeTopic } from "./primitives/text.ts";
export { checkTopic, checkWireSize, isLegalTopicName, optionalInteger, topicNameProblem } from "./primitives/validate.ts";
export {
  createMessage,
  createMessageFromString,
  createCompressedMessage,
  createGzipMessage,
  createSnappyMessage,
  encodeMessages,
  entrySize,
  messagesSize,
  writeEntry,
  ENTRY_OVERHEAD_MAGIC0,
  ENTRY_OVERHEAD_MAGIC1,
  type CreateMessageOptions,
  type Message,
} from "./message/message.ts";
export { EncodedMessageSet, messageSetSize, writeMessageSet, type MessageEntries, type MessageSetInput } from "./message/message-set.ts";
export { FetchedMessage } from "./message/fetched-message.ts";
export {
  DECOMPRESSED_MESSAGE_COST,
  DEFAULT_MAX_COMPRESSION_DEPTH,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  MessageSetIterator,
  MessageSetView,
  decodeMessageSet,
  type DecodeMessageSetOptions,
} from "./message/decode-message-set.ts";
export { RequestType } from "./protocol/request-type.ts";
export { SIZE_PREFIX, type FrameLimit } from "./protocol/frame.ts";
export {
  FetchRequest,
  checkFetchSize,
  decodeFetchRequestBody,
  decodeFetchResponse,
  encodeFetchRequest,
  encodeFetchResponse,
  encodeFetchResponseHeader,
  type FetchRequestData,
  type FetchResponse,
} from "./protocol/fetch.ts";
export {
  ProduceRequest,
  decodeProduceRequestBody,
  encodeProduceRequest,
  type DecodedProduce,
  type ProducePayload,
  type ProduceRequestData,
  type ProduceRequestOptions,
} from "./protocol/produce.ts";
export {
  MultiFetchRequest,
  decodeMultiFetchRequestBody,
  decodeMultiFetchResponse,
  encodeMultiFetchRequest,
  encodeMultiFetchResponse,
} from "./protocol/multi-fetch.ts";
export { MultiProduceRequest, decodeMultiProduceRequestBody, encodeMultiProduceRequest, multiProducePrefix } from "./protocol/multi-produce.ts";
export {
  EARLIEST_TIME,
  LATEST_TIME,
  OffsetRequest,
  decodeOffsetRequestBody,
  decodeOffsetsResponse,
  encodeOffsetRequest,
  encodeOffsetsResponse,
  type OffsetRequestData,
  type OffsetsResponse,
} from "./protocol/offsets.ts";
export { decodeRequest, encodeRequest, type DecodedRequest, type Request } from "./protocol/request.ts";
export { DEFAULT_EAGER_FRAME_BYTES, DEFAULT_MAX_FRAME_BYTES, FrameDecoder, type FrameDecoderOptions } from "./stream/frame-decoder.ts";
export { SizePrefixSplitter, encodeSizePrefix } from "./stream/size-prefix.ts";
export { ClientSession, type ClientSessionOptions, type PendingRequest, type SessionEvent } from "./stream/client-session.ts";
export { crc32Range, slicingCrc32, wasmCrc32, WASM_CRC32_WINDOW, type WasmCrc32 } from "./crc/index.ts";
