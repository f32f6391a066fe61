/**
 * The client refuses a request larger than the broker accepts (maxRequestBytes, the broker's
 * max.socket.request.bytes) with a RangeError before sending it, instead of having the connection
 * closed under it.
 */
import { startBroker } from "@k07/broker";
import { FetchRequest, KafkaClient, ProduceRequest, createMessage } from "@k07/transport-node";

test("a produce over maxRequestBytes is a RangeError, nothing is sent, and the client goes on working", async () => {
  const closes: string[] = [];
  const broker = await startBroker({ maxRequestBytes: 10_000, onEvent: (event) => closes.push(event.reason) });
  const kafka = new KafkaClient(broker.host, broker.port, { maxRequestBytes: 10_000 });
  try {
    const tooBig = new ProduceRequest("sizes", 0, [createMessage(new Uint8Array(6_000)), createMessage(new Uint8Array(6_000))]);
    await expect(kafka.sendMessageSet(tooBig)).rejects.toThrow(/a Produce request of 12\d{3} bytes exceeds maxRequestBytes/);
    await kafka.sendMessagesSimple("sizes", 0, "fits");
    await kafka.confirm();
    const [messages] = await kafka.getMessageSet(new FetchRequest("sizes", 0, 0, 10_000));
    expect(messages.map((m) => m.text())).toEqual(["fits"]);
    expect(closes).toEqual([]);
  } finally {
    await kafka.close();
    await broker.close();
  }
});

test("maxRequestBytes is checked", () => {
  expect(() => new KafkaClient("127.0.0.1", 9092, { maxRequestBytes: 0 })).toThrow(RangeError);
  expect(() => new KafkaClient("127.0.0.1", 9092, { maxRequestBytes: 0x8000_0000 })).toThrow(RangeError);
});
