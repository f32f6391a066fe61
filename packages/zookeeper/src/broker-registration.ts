import { ZooKeeperError, NODE_EXISTS, type ZooKeeperSession } from "./session.ts";
import { BROKER_IDS_PATH, BROKER_TOPICS_PATH, brokerIdPath, brokerRegistrationValue, topicBrokerPath, topicPath } from "./layout.ts";

export interface BrokerRegistrationOptions {
  readonly brokerId: number;
  /** The host clients should connect to (0.7's `hostname`). */
  readonly host: string;
  readonly port: number;
  /** Every topic the broker has a log for, with its configured partition count. */
  readonly topics: () => ReadonlyArray<readonly [topic: string, partitionCount: number]>;
  /** Called when re-registration after a session expiry fails. */
  readonly onError?: (error: Error) => void;
  readonly now?: () => number;
}

/**
 * Registers a broker as Kafka 0.7.2 does (protocol §9, §9.3): persistent parents with null data, the
 * ephemeral `/brokers/ids/<id>` = `<host>-<ms>:<host>:<port>`, and for every topic it has a log for
 * the ephemeral `/brokers/topics/<topic>/<id>` = its configured partition count; again after a
 * session expiry. A broker id registered by a live session is an error, as in 0.7.
 */
export class BrokerRegistration {
  private readonly registeredTopics = new Set<string>();

  private constructor(
    private readonly zk: ZooKeeperSession,
    private readonly options: BrokerRegistrationOptions,
  ) {}

  static async register(zk: ZooKeeperSession, options: BrokerRegistrationOptions): Promise<BrokerRegistration> {
    const registration = new BrokerRegistration(zk, options);
    await registration.registerAll();
    zk.on("session", () => {
      registration.registeredTopics.clear();
      registration.registerAll().catch((error: Error) => options.onError?.(error));
    });
    return registration;
  }

  private async registerAll(): Promise<void> {
    const { brokerId, host, port } = this.options;
    await this.zk.createParents(BROKER_IDS_PATH);
    await this.zk.createParents(BROKER_TOPICS_PATH);
    const value = brokerRegistrationValue(host, port, (this.options.now ?? Date.now)());
    try {
      await this.zk.create(brokerIdPath(brokerId), value, "ephemeral");
    } catch (error) {
      if (error instanceof ZooKeeperError && error.code === NODE_EXISTS) {
        throw new ZooKeeperError(`A broker is already registered on the path ${brokerIdPath(brokerId)}`, error.code, { cause: error });
      }
      throw error;
    }
    for (const [topic, count] of this.options.topics()) await this.registerTopic(topic, count);
  }

  /** Registers a topic the broker has just created its first log for. */
  async registerTopic(topic: string, partitionCount: number): Promise<void> {
    if (this.registeredTopics.has(topic)) return;
    this.registeredTopics.add(topic);
    await this.zk.createParents(topicPath(topic));
    try {
      await this.zk.create(topicBrokerPath(topic, this.options.brokerId), String(partitionCount), "ephemeral");
    } catch (error) {
      if (!(error instanceof ZooKeeperError && error.code === NODE_EXISTS)) throw error;
    }
  }
}
