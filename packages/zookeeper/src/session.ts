import { EventEmitter } from "node:events";
import zookeeper, { type Client, type Watcher } from "node-zookeeper-client";

export interface ZooKeeperOptions {
  /** Session timeout in ms (0.7's `zk.sessiontimeout.ms`, default 6000). */
  readonly sessionTimeoutMs?: number;
  /** Time allowed to establish the first session (`zk.connectiontimeout.ms`, default = session timeout). */
  readonly connectTimeoutMs?: number;
}

/** A ZooKeeper call failed; `code` is ZooKeeper's (for example −110 node exists, −101 no node). */
export class ZooKeeperError extends Error {
  constructor(
    message: string,
    readonly code: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ZooKeeperError";
  }
}

export const NODE_EXISTS = zookeeper.Exception.NODE_EXISTS;
export const NO_NODE = zookeeper.Exception.NO_NODE;

/** Fires once when the watched node or its children change (or the session is lost). */
export type ChangeWatcher = () => void;

/**
 * A ZooKeeper session that survives expiry: when ZooKeeper expires the session (its ephemeral
 * nodes and watches are gone), a new one is opened and `session` is emitted, so owners of
 * ephemeral nodes re-create them and watchers re-read and re-watch — what 0.7's zkclient
 * `handleNewSession` callbacks do. Data are UTF-8 strings, as 0.7's `ZKStringSerializer` writes.
 *
 * Events: `session` (a new session after expiry), `disconnected`, `connected`.
 */
export class ZooKeeperSession extends EventEmitter {
  readonly connectString: string;
  private client: Client;
  private closed = false;
  private readonly sessionTimeoutMs: number;

  private constructor(connectString: string, client: Client, sessionTimeoutMs: number) {
    super();
    this.connectString = connectString;
    this.client = client;
    this.sessionTimeoutMs = sessionTimeoutMs;
    this.watch(client);
  }

  /** Connects; rejects if no session is established within the connect timeout. */
  static async connect(connectString: string, options: ZooKeeperOptions = {}): Promise<ZooKeeperSession> {
    if (typeof connectString !== "string" || connectString === "")
      throw new TypeError("a ZooKeeper connect string (host:port[,host:port][/chroot]) is needed");
    const sessionTimeoutMs = options.sessionTimeoutMs ?? 6000;
    const client = await openClient(connectString, sessionTimeoutMs, options.connectTimeoutMs ?? sessionTimeoutMs);
    return new ZooKeeperSession(connectString, client, sessionTimeoutMs);
  }

  private watch(client: Client): void {
    client.on("disconnected", () => this.emit("disconnected"));
    client.on("connected", () => this.emit("connected"));
    client.once("expired", () => void this.renew(client));
  }

  private async renew(expired: Client): Promise<void> {
    expired.close();
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        this.client = await openClient(this.connectString, this.sessionTimeoutMs, this.sessionTimeoutMs);
        this.watch(this.client);
        this.emit("session");
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 200 * 2 ** attempt)));
      }
    }
  }

  /** The current session id, as hex (changes after expiry). */
  get sessionId(): string {
    return this.client.getSessionId().toString("hex");
  }

  /** Creates a node; rejects with code NODE_EXISTS if it exists. Parents must exist. */
  create(path: string, data: string | null, mode: "persistent" | "ephemeral"): Promise<void> {
    const m = mode === "ephemeral" ? zookeeper.CreateMode.EPHEMERAL : zookeeper.CreateMode.PERSISTENT;
    return this.call<string>(`create ${path}`, (cb) => this.client.create(path, encode(data), m, cb)).then(() => undefined);
  }

  /** Creates every missing node on the path, persistent with null data (as 0.7 does for parents). */
  async createParents(path: string): Promise<void> {
    const parts = path.split("/").filter(Boolean);
    let current = "";
    for (const part of parts) {
      current += "/" + part;
      try {
        await this.create(current, null, "persistent");
      } catch (error) {
        if (!(error instanceof ZooKeeperError && error.code === NODE_EXISTS)) throw error;
      }
    }
  }

  /** Creates a node and any missing parents. */
  async createWithParents(path: string, data: string | null, mode: "persistent" | "ephemeral"): Promise<void> {
    const parent = path.slice(0, path.lastIndexOf("/"));
    if (parent !== "") await this.createParents(parent);
    await this.create(path, data, mode);
  }

  /** Writes a node's data, creating it (and its parents) when absent. */
  async write(path: string, data: string, mode: "persistent" | "ephemeral" = "persistent"): Promise<void> {
    try {
      await this.call<unknown>(`setData ${path}`, (cb) => this.client.setData(path, encode(data), -1, cb));
    } catch (error) {
      if (!(error instanceof ZooKeeperError && error.code === NO_NODE)) throw error;
      try {
        await this.createWithParents(path, data, mode);
      } catch (raced) {
        if (!(raced instanceof ZooKeeperError && raced.code === NODE_EXISTS)) throw raced;
        await this.call<unknown>(`setData ${path}`, (cb) => this.client.setData(path, encode(data), -1, cb));
      }
    }
  }

  /** A node's data (null for null data), or undefined when the node does not exist. */
  async read(path: string, watcher?: ChangeWatcher): Promise<string | null | undefined> {
    try {
      const data = await this.call<Buffer | undefined>(`getData ${path}`, (cb) => this.client.getData(path, adapt(watcher), (e, d) => cb(e, d)));
      return data === undefined || data === null ? null : data.toString("utf8");
    } catch (error) {
      if (error instanceof ZooKeeperError && error.code === NO_NODE) {
        // Watch for the node's creation instead.
        if (watcher !== undefined) await this.exists(path, watcher);
        return undefined;
      }
      throw error;
    }
  }

  /** Whether a node exists (a watcher fires when it is created, changed or deleted). */
  async exists(path: string, watcher?: ChangeWatcher): Promise<boolean> {
    const stat = await this.call<unknown>(`exists ${path}`, (cb) => this.client.exists(path, adapt(watcher), cb));
    return stat !== null && stat !== undefined;
  }

  /** Children of a node, [] when it does not exist (the watcher then fires on its creation). */
  async children(path: string, watcher?: ChangeWatcher): Promise<string[]> {
    try {
      return await this.call<string[]>(`getChildren ${path}`, (cb) => this.client.getChildren(path, adapt(watcher), (e, c) => cb(e, c)));
    } catch (error) {
      if (error instanceof ZooKeeperError && error.code === NO_NODE) {
        if (watcher !== undefined && (await this.exists(path, watcher))) return this.children(path, watcher);
        return [];
      }
      throw error;
    }
  }

  /** Deletes a node; a node that is already gone is fine. */
  async remove(path: string): Promise<void> {
    try {
      await this.call<unknown>(`remove ${path}`, (cb) => this.client.remove(path, -1, (e) => cb(e, undefined)));
    } catch (error) {
      if (!(error instanceof ZooKeeperError && error.code === NO_NODE)) throw error;
    }
  }

  /** Closes the session: its ephemeral nodes disappear at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const client = this.client;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      client.once("disconnected", () => {
        clearTimeout(timer);
        resolve();
      });
      client.close();
    });
    this.removeAllListeners();
  }

  private call<T>(what: string, start: (callback: (error: Error | null, value: T) => void) => void): Promise<T> {
    if (this.closed) return Promise.reject(new ZooKeeperError(`${what}: the ZooKeeper session is closed`, undefined));
    return new Promise<T>((resolve, reject) =>
      start((error, value) => {
        if (error) reject(new ZooKeeperError(`${what}: ${error.message}`, (error as { code?: number }).code, { cause: error }));
        else resolve(value);
      }),
    );
  }
}

function encode(data: string | null): Buffer | null {
  return data === null ? null : Buffer.from(data, "utf8");
}

function adapt(watcher: ChangeWatcher | undefined): Watcher | undefined {
  return watcher === undefined ? undefined : () => watcher();
}

/**
 * Opens a client and waits for its first session. node-zookeeper-client can stay stuck in
 * "connecting" after an early refused or reset attempt (seen against a server still starting), so
 * each attempt gets a few seconds and then a fresh client, until `connectTimeoutMs` is spent.
 */
async function openClient(connectString: string, sessionTimeoutMs: number, connectTimeoutMs: number): Promise<Client> {
  const deadline = Date.now() + connectTimeoutMs;
  for (let attempt = 0; ; attempt++) {
    const remaining = deadline - Date.now();
    const client = await attemptClient(connectString, sessionTimeoutMs, Math.max(1, Math.min(remaining, 2000 + attempt * 1000)));
    if (client !== undefined) return client;
    if (Date.now() >= deadline) {
      throw new ZooKeeperError(`Could not connect to ZooKeeper at ${connectString} within ${connectTimeoutMs} ms`, undefined);
    }
  }
}

function attemptClient(connectString: string, sessionTimeoutMs: number, waitMs: number): Promise<Client | undefined> {
  return new Promise((resolve) => {
    const client = zookeeper.createClient(connectString, { sessionTimeout: sessionTimeoutMs, spinDelay: 200, retries: 1 });
    const timer = setTimeout(() => {
      client.close();
      resolve(undefined);
    }, waitMs);
    client.once("connected", () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.connect();
  });
}
