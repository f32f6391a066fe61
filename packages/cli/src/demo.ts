/**
 * `npm run demo`: starts an embedded Kafka 0.7 broker on a free port and walks through the client
 * API of the README against it, printing each step.
 */
import { startBroker } from "@k07/broker";
import { FetchRequest, KafkaClient, OffsetRequest, ProduceRequest, createMessageFromString } from "@k07/transport-node";

const log = (line: string) => process.stdout.write(line + "\n");

const broker = await startBroker({ port: 0, numPartitions: 2 });
log(`embedded Kafka 0.7 broker listening on ${broker.address}`);
const kafka = new KafkaClient(broker.host, broker.port);
try {
  await kafka.sendMessagesSimple("my-topic", 0, "some message", "another message");
  log('sendMessagesSimple("my-topic", 0, "some message", "another message")');

  await kafka.sendMessageSet(new ProduceRequest("my-topic", 1, [createMessageFromString("on partition 1")]));
  log("sendMessageSet(ProduceRequest my-topic/1)");

  await kafka.sendMultiMessageSet([
    new ProduceRequest("my-topic", 0, [createMessageFromString("multi a")]),
    new ProduceRequest("other-topic", 0, [createMessageFromString("multi b")]),
  ]);
  log("sendMultiMessageSet([my-topic/0, other-topic/0])");

  await kafka.confirm();
  log("confirm(): the broker has applied every produce above");

  const [messages, next] = await kafka.getMessageSet(new FetchRequest("my-topic", 0, 0, 1024 * 1024));
  for (const m of messages) log(`  getMessageSet my-topic/0 offset ${m.offset} -> ${m.nextOffset}: ${JSON.stringify(m.text())}`);
  log(`  next fetch at offset ${next.offset}`);

  const results = await kafka.getMultiMessageSet([
    new FetchRequest("my-topic", 1, 0, 1024 * 1024),
    new FetchRequest("other-topic", 0, 0, 1024 * 1024),
  ]);
  for (const [msgs, nextRequest] of results) {
    for (const m of msgs) log(`  getMultiMessageSet ${nextRequest.topic}/${nextRequest.partition} offset ${m.offset}: ${JSON.stringify(m.text())}`);
  }

  let count = 0;
  for await (const m of kafka.iterMessages(new FetchRequest("my-topic", 0, 0, 1024 * 1024))) {
    count++;
    log(`  iterMessages my-topic/0 offset ${m.offset}: ${JSON.stringify(m.text())}`);
  }
  log(`iterMessages stopped at the end of the log after ${count} messages`);

  const offsets = await kafka.getOffsets(new OffsetRequest("my-topic", 0, -1, 10));
  log(`getOffsets(my-topic/0, latest, 10) = [${offsets.join(", ")}]`);
  const earliest = await kafka.getOffsets(new OffsetRequest("my-topic", 0, -2, 1));
  log(`getOffsets(my-topic/0, earliest, 1) = [${earliest.join(", ")}]`);
} finally {
  await kafka.close();
  await broker.close();
}
log("done");
