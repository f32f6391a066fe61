/**
 * sendMessagesSimple hands its payloads to the codec as they are (no message object per payload)
 * and still refuses, before anything is written, a payload the broker would drop for its size.
 */
import {
  KafkaClient,
  MessageTooLargeError,
  ProduceRequest,
  createMessage,
  encodeProduceRequest,
  type Transport,
  type TransportConnection,
  type TransportHandlers,
} from "@k07/client";

/** A transport whose one connection records what is written. */
class RecordingTransport implements Transport {
  writes: Uint8Array[] = [];
  connect(_target: unknown, _handlers: TransportHandlers): Promise<TransportConnection> {
    return Promise.resolve({
      write: (bytes) => {
        this.writes.push(bytes);
        return true;
      },
      end: async () => {},
      destroy: () => {},
    });
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

test("bytes, text and messages are sent as the frame the same createMessage objects make", async () => {
  const transport = new RecordingTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
  const magic0 = createMessage("old", { magic: 0 });
  await kafka.sendMessagesSimple("t", 2, "text", Uint8Array.of(1, 2, 3), magic0, "");
  await tick();
  const expected = encodeProduceRequest(
    new ProduceRequest("t", 2, [createMessage("text"), createMessage(Uint8Array.of(1, 2, 3)), magic0, createMessage("")]),
  );
  expect(transport.writes.map(hex)).toEqual([hex(expected)]);
});

test("a payload over maxMessageSize is a MessageTooLargeError and nothing is written, whether bytes, text or a compressed batch", async () => {
  const transport = new RecordingTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport, maxMessageSize: 100 });
  await expect(kafka.sendMessagesSimple("t", 0, "small", new Uint8Array(101))).rejects.toThrow(
    new MessageTooLargeError(
      101,
      100,
      { topic: "t", partition: 0 },
      "A payload of 101 bytes exceeds maxMessageSize 100; the broker would drop it silently",
    ),
  );
  await expect(kafka.sendMessagesSimple("t", 0, "é".repeat(51))).rejects.toBeInstanceOf(MessageTooLargeError); // 102 UTF-8 bytes
  // Random bytes do not compress: the wrapper's payload is what the broker measures.
  const random = Uint8Array.from({ length: 300 }, (_, i) => (i * 7919 + ((i * i) >> 3)) & 0xff);
  await expect(kafka.sendMessagesSimple({ topic: "t", partition: 0, compression: "gzip" }, random)).rejects.toBeInstanceOf(MessageTooLargeError);
  // Compressible bytes fit once compressed, as before.
  await kafka.sendMessagesSimple({ topic: "t", partition: 0, compression: "gzip" }, new Uint8Array(300));
  await kafka.sendMessagesSimple("t", 0, new Uint8Array(100), "ok");
  await tick();
  // Only the two accepted produces went out.
  expect(transport.writes).toHaveLength(2);
  expect(hex(transport.writes[1]!)).toBe(
    hex(encodeProduceRequest(new ProduceRequest("t", 0, [createMessage(new Uint8Array(100)), createMessage("ok")]))),
  );
});

test("anything but a payload or a message is a TypeError before anything is written", async () => {
  const transport = new RecordingTransport();
  const kafka = new KafkaClient("127.0.0.1", 9092, { transport });
  await expect(kafka.sendMessagesSimple("t", 0, "ok", 7 as never)).rejects.toThrow(
    new TypeError("messages[1] is not a message (use createMessage) or a payload (bytes or a string), got 7"),
  );
  await expect(kafka.sendMessagesSimple("t", 0, { payload: "x" } as never)).rejects.toThrow(TypeError);
  await tick();
  expect(transport.writes).toHaveLength(0);
});
