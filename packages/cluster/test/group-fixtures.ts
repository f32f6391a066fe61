/**
 * Shared fixtures of the group suites: embedded brokers registered in a real ZooKeeper, a TCP relay
 * to cut a member off ZooKeeper (a network partition: how sessions really expire), owner-table
 * reads, and the delivery log that checks at-least-once.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { startBroker, type Broker, type BrokerOptions } from "@k07/broker";
import { KafkaClient } from "@k07/transport-node";
import { ZooKeeperSession, ownersPath, ownerPath } from "@k07/zookeeper";
import type { GroupEvent, GroupMessage } from "../src/group/index.ts";

export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Starts a broker registered in ZooKeeper and makes it register each topic (a first produce creates the log). */
export async function startRegisteredBroker(
  zookeeper: string,
  brokerId: number,
  topicPartitions: Record<string, number>,
  extra: BrokerOptions = {},
): Promise<Broker> {
  const broker = await startBroker({ zookeeper, brokerId, topicPartitions, zookeeperSessionTimeoutMs: 2000, ...extra });
  const zk = broker.zookeeper!;
  const kafka = new KafkaClient(broker.host, broker.port);
  for (const topic of Object.keys(topicPartitions)) {
    if ((await zk.read(`/brokers/topics/${topic}/${brokerId}`)) === undefined) {
      // The first produce creates the log, and with it the registration.
      await kafka.sendMessagesSimple(topic, 0, "init");
    }
  }
  await kafka.confirm();
  await kafka.close();
  for (const topic of Object.keys(topicPartitions))
    await waitFor(`${topic} on broker ${brokerId}`, async () => (await zk.read(`/brokers/topics/${topic}/${brokerId}`)) !== undefined);
  return broker;
}

/** Produces `count` messages per partition; returns every (partition name, offset, next offset). */
export async function produce(broker: Broker, brokerId: number, topic: string, partitions: number, count: number, tag = "m"): Promise<Produced[]> {
  const kafka = new KafkaClient(broker.host, broker.port);
  const produced: Produced[] = [];
  for (let p = 0; p < partitions; p++) {
    let offset = await kafka.latestOffset(topic, p);
    const texts = Array.from({ length: count }, (_, i) => `${tag}-${brokerId}-${p}-${i}`);
    await kafka.sendMessagesSimple(topic, p, ...texts);
    for (const text of texts) {
      const next = offset + 4 + 1 + 1 + 4 + Buffer.byteLength(text); // magic-1 entry: size, magic, attributes, crc, payload
      produced.push({ topic, name: `${brokerId}-${p}`, offset, next });
      offset = next;
    }
  }
  await kafka.confirm();
  await kafka.close();
  return produced;
}

export interface Produced {
  readonly topic: string;
  readonly name: string;
  readonly offset: number;
  readonly next: number;
}

/** `/consumers/<group>/owners/<topic>` as name → thread id. */
export async function readOwners(zk: ZooKeeperSession, group: string, topic: string): Promise<Record<string, string>> {
  const table: Record<string, string> = {};
  for (const name of (await zk.children(ownersPath(group, topic))).sort()) {
    const value = await zk.read(ownerPath(group, topic, name));
    if (typeof value === "string") table[name] = value;
  }
  return table;
}

/** A TCP relay in front of ZooKeeper: `cut()` drops every connection and refuses new ones until `restore()`. */
export interface ZooKeeperRelay {
  readonly connectString: string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startRelay(targetPort: number): Promise<ZooKeeperRelay> {
  const sockets = new Set<Socket>();
  let blocked = false;
  const server: Server = createServer((client) => {
    if (blocked) return void client.destroy();
    const upstream = connect(targetPort, "127.0.0.1");
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    connectString: `127.0.0.1:${port}`,
    cut() {
      blocked = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    restore() {
      blocked = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

interface Delivery {
  readonly member: string;
  readonly offset: number;
  readonly next: number;
}

/**
 * Every delivery of every member, in the order they happened, with each member's partition starts
 * and commits, so the at-least-once contract can be checked: nothing produced is missed; a member
 * reads a partition without gaps or repeats from where it started; it starts at the offset last
 * committed for the partition (by anyone) or at the log start; and every duplicate comes from
 * such a restart.
 */
export class DeliveryLog {
  private readonly deliveries = new Map<string, Delivery[]>();
  private readonly runs = new Map<string, { member: string; start: number; expected: number }>();
  /** Per partition, the offsets ZooKeeper may hold: the last confirmed commit and any commit in doubt since. */
  private readonly possibleCommits = new Map<string, Set<number>>();
  restarts = 0;
  readonly violations: string[] = [];

  /** The onEvent listener for a member. */
  listener(member: string): (event: GroupEvent) => void {
    return (event) => {
      if (process.env.K07_DEBUG_GROUPS)
        console.log(
          member,
          event.type,
          JSON.stringify(event, (_k, v) => (v instanceof Map ? [...v] : v instanceof Error ? v.message : v)),
        );
      if (event.type === "partition-start") {
        const key = `${event.topic}/${event.brokerId}-${event.partition}`;
        this.runs.set(`${key}@${member}`, { member, start: event.offset, expected: event.offset });
        if (this.deliveries.has(key)) this.restarts++;
        const possible = this.possibleCommits.get(key);
        if (event.from === "committed" && possible !== undefined && !possible.has(event.offset)) {
          this.violations.push(`${member} started ${key} at ${event.offset}, not at the last commit (${[...possible].join(" or ")})`);
        }
      } else if (event.type === "commit") {
        for (const o of event.offsets) this.possibleCommits.set(`${o.topic}/${o.brokerId}-${o.partition}`, new Set([o.offset]));
      } else if (event.type === "error" && event.during === "commit") {
        // The write may have been applied with its answer lost (a cut connection): both values are possible.
        for (const o of event.offsets ?? []) {
          const key = `${o.topic}/${o.brokerId}-${o.partition}`;
          this.possibleCommits.set(key, new Set([...(this.possibleCommits.get(key) ?? []), o.offset]));
        }
      } else if (event.type === "offset-reset") {
        const run = this.runs.get(`${event.topic}/${event.brokerId}-${event.partition}@${member}`);
        if (run !== undefined) run.expected = event.to;
      }
    };
  }

  /** Records a message a member handed to the application. */
  record(member: string, message: GroupMessage): void {
    const key = `${message.topic}/${message.brokerId}-${message.partition}`;
    const run = this.runs.get(`${key}@${member}`);
    if (run === undefined) {
      this.violations.push(`${member} delivered ${key} without starting it`);
      return;
    }
    // No gap and no repeat inside one member's reading of a partition.
    if (message.offset !== run.expected) this.violations.push(`${member} jumped in ${key}: expected offset ${run.expected}, got ${message.offset}`);
    run.expected = message.nextOffset;
    const list = this.deliveries.get(key) ?? [];
    list.push({ member, offset: message.offset, next: message.nextOffset });
    this.deliveries.set(key, list);
  }

  get total(): number {
    let n = 0;
    for (const list of this.deliveries.values()) n += list.length;
    return n;
  }

  /** Checks that every produced message was delivered; returns how many deliveries were duplicates. */
  check(produced: readonly Produced[]): { delivered: number; distinct: number; duplicates: number; missing: number; violations: string[] } {
    let missing = 0;
    for (const p of produced) {
      const seen = this.deliveries.get(`${p.topic}/${p.name}`)?.some((d) => d.offset === p.offset) ?? false;
      if (!seen) missing++;
    }
    let distinct = 0;
    for (const list of this.deliveries.values()) distinct += new Set(list.map((d) => d.offset)).size;
    return { delivered: this.total, distinct, duplicates: this.total - distinct, missing, violations: this.violations };
  }
}

/** Runs a member's iterator in the background, recording deliveries until `stop()`, the member closes, or `limit` deliveries (then it hangs, as a dead process would). */
export function consumeInBackground(
  consumer: AsyncIterable<GroupMessage>,
  member: string,
  log: DeliveryLog,
  limit = Infinity,
): { stop(): void; done: Promise<void> } {
  let stopped = false;
  let count = 0;
  const done = (async () => {
    for await (const message of consumer) {
      if (stopped) break;
      log.record(member, message);
      // At the limit the "process" stops reading (and never finishes the last message).
      if (++count >= limit) return new Promise<void>(() => {});
    }
  })();
  return { stop: () => void (stopped = true), done };
}
