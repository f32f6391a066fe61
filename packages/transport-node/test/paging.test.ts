/**
 * iterMessages pages through a log in fetches of at most `pageBytes` (default 256 KiB), whatever the
 * request's maxSize: short-lived response buffers keep a fast consumer's memory flat
 * (bench/soak.bench.mjs measures it). These tests watch the fetches it sends.
 */
import { startBroker, type Broker } from "@k07/broker";
import {
  DEFAULT_PAGE_BYTES,
  FetchRequest,
  FrameDecoder,
  KafkaClient,
  ProduceRequest,
  RequestType,
  createMessage,
  decodeRequest,
  nodeTransport,
  type Transport,
} from "@k07/transport-node";

let broker: Broker;
const TOPIC = "paging";
const MESSAGES = 20_000; // 100-byte payloads: 2.2 MB of log
const ONE_MIB = 1024 * 1024;

beforeAll(async () => {
  broker = await startBroker();
  const kafka = new KafkaClient(broker.host, broker.port);
  const payload = new Uint8Array(100).fill(7);
  for (let i = 0; i < MESSAGES; i += 1000) {
    await kafka.sendMessageSet(
      new ProduceRequest(
        TOPIC,
        0,
        Array.from({ length: 1000 }, () => createMessage(payload)),
      ),
    );
  }
  await kafka.sendMessagesSimple("big", 0, "small", new Uint8Array(300_000), "after");
  await kafka.close();
});

afterAll(() => broker.close());

/** A client whose fetch requests are recorded: the maxSize of each, in order. */
function recordingClient(): { kafka: KafkaClient; fetchSizes: number[] } {
  const fetchSizes: number[] = [];
  const transport: Transport = {
    async connect(target, handlers, signal) {
      const connection = await nodeTransport.connect(target, handlers, signal);
      const frames = new FrameDecoder();
      return {
        ...connection,
        write(bytes) {
          frames.push(bytes.slice());
          for (let frame = frames.next(); frame !== undefined; frame = frames.next()) {
            const request = decodeRequest(frame);
            if (request.type === RequestType.Fetch) fetchSizes.push(request.maxSize);
          }
          return connection.write(bytes);
        },
      };
    },
  };
  return { kafka: new KafkaClient(broker.host, broker.port, { transport }), fetchSizes };
}

async function countMessages(iterable: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of iterable) n++;
  return n;
}

test("paging through a log with 1 MiB requests fetches 256 KiB pages", async () => {
  const { kafka, fetchSizes } = recordingClient();
  expect(await countMessages(kafka.iterMessages(new FetchRequest(TOPIC, 0, 0, ONE_MIB)))).toBe(MESSAGES);
  await kafka.close();
  expect(DEFAULT_PAGE_BYTES).toBe(256 * 1024);
  expect(fetchSizes.length).toBeGreaterThanOrEqual(Math.ceil((MESSAGES * 110) / DEFAULT_PAGE_BYTES));
  expect(new Set(fetchSizes)).toEqual(new Set([DEFAULT_PAGE_BYTES]));
});

test("pageBytes sets the page; a request smaller than a page is sent as it is", async () => {
  const { kafka, fetchSizes } = recordingClient();
  expect(await countMessages(kafka.iterMessages(new FetchRequest(TOPIC, 0, 0, ONE_MIB), true, { pageBytes: ONE_MIB }))).toBe(MESSAGES);
  expect(await countMessages(kafka.iterMessages(new FetchRequest(TOPIC, 0, 0, 100_000)))).toBe(MESSAGES);
  await kafka.close();
  expect(new Set(fetchSizes)).toEqual(new Set([ONE_MIB, 100_000]));
  expect(() => kafka.iterMessages(new FetchRequest(TOPIC, 0, 0, ONE_MIB), true, { pageBytes: 3 })).toThrow(RangeError);
});

test("a single range (auto false) is fetched with the requested size", async () => {
  const { kafka, fetchSizes } = recordingClient();
  expect(await countMessages(kafka.iterMessages(new FetchRequest(TOPIC, 0, 0, ONE_MIB), false))).toBe(Math.floor(ONE_MIB / 110));
  await kafka.close();
  expect(fetchSizes).toEqual([ONE_MIB]);
});

test("a message bigger than a page still comes whole", async () => {
  const { kafka } = recordingClient();
  const sizes: number[] = [];
  for await (const m of kafka.iterMessages(new FetchRequest("big", 0, 0, ONE_MIB))) sizes.push(m.payloadLength);
  await kafka.close();
  expect(sizes).toEqual([5, 300_000, 5]);
});
