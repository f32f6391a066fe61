/**
 * The golden vectors of protocol §10 as conversations with the embedded broker: requests sent as the
 * vectors' bytes, responses compared byte for byte with what a real 0.7.2 broker returned.
 */
import { startBroker, type Broker } from "@k07/broker";
import { vector, vectorBytes } from "@k07/testing/vectors.ts";
import { concat, hex, rawFetch, rawProduce } from "./helpers/bytes.ts";
import { RawConnection } from "./helpers/raw-connection.ts";

let broker: Broker;
let conn: RawConnection;
beforeEach(async () => {
  broker = await startBroker();
  conn = await RawConnection.open(broker.port);
});
afterEach(async () => {
  conn.end();
  await broker.close();
});

test("V4 produce then V5 fetch returns V9 byte for byte, and V6 offsets returns the log end", async () => {
  conn.send(vectorBytes("produce_test_p0_hello_world"), vectorBytes("fetch_test_p0_o0_1MiB"));
  expect(hex(await conn.frameWithPrefix())).toBe(vector("fetch_response_hello_world").hex);
  conn.send(vectorBytes("offsets_test_p0_latest_1"));
  expect(hex(await conn.frameWithPrefix())).toBe("0000000e" + "0000" + "00000001" + "000000000000001e");
});

test("a log of V1 + V2 + hello + world fetched whole is V10, and with maxSize 54 is V11 (truncated tail)", async () => {
  const v1 = vectorBytes("msg_v0_test_entry");
  const v2 = vectorBytes("msg_v1_test_entry");
  const helloWorld = vectorBytes("fetch_response_hello_world").subarray(6);
  conn.send(rawProduce("test", 0, concat(v1, v2)), rawProduce("test", 0, helloWorld));
  conn.send(rawFetch("test", 0, 0, 1_048_576), rawFetch("test", 0, 0, 54));
  expect(hex(await conn.frameWithPrefix())).toBe(vector("fetch_response_4_from_broker").hex);
  expect(hex(await conn.frameWithPrefix())).toBe(vector("fetch_response_truncated_tail").hex);
});

test("V7 multi-fetch against a one-partition topic is answered as V13 (second part: wrong partition)", async () => {
  conn.send(vectorBytes("produce_test_p0_hello_world"));
  const multi = vectorBytes("multifetch_2");
  conn.send(multi);
  expect(hex(await conn.frameWithPrefix())).toBe(vector("multifetch_response_2").hex);
});

test("V8 multi-produce appends both parts in order", async () => {
  await broker.close();
  broker = await startBroker({ numPartitions: 2 });
  conn = await RawConnection.open(broker.port);
  conn.send(vectorBytes("multiproduce_2"), rawFetch("test", 0, 0, 100), rawFetch("test", 1, 0, 100));
  expect(hex((await conn.frame()).subarray(2))).toBe("0000000701" + "00e8b7be4361");
  expect(hex((await conn.frame()).subarray(2))).toBe("000000070100" + "71beeff962");
});

test("V12 error-only responses: end of log, out of range, wrong partition, illegal topic, unknown topic", async () => {
  conn.send(vectorBytes("produce_test_p0_hello_world"));
  conn.send(
    rawFetch("test", 0, 30, 100),
    rawFetch("test", 0, 31, 100),
    rawFetch("test", 0, -1, 100),
    rawFetch("test", 1, 0, 100),
    rawFetch("bad/topic", 0, 0, 100),
    rawFetch("nobody", 0, 0, 100),
    rawFetch("test", 0, 0, 0),
  );
  const expected = [
    vector("fetch_response_end_of_log").hex,
    vector("fetch_response_offset_out_of_range").hex,
    vector("fetch_response_offset_out_of_range").hex,
    vector("fetch_response_wrong_partition").hex,
    vector("fetch_response_unknown_error").hex,
    vector("fetch_response_end_of_log").hex,
    vector("fetch_response_end_of_log").hex,
  ];
  for (const want of expected) expect(hex(await conn.frameWithPrefix())).toBe(want);
});
