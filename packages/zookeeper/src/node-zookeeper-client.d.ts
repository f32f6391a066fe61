// The subset of node-zookeeper-client 1.x that k07 uses (the package ships no types).
declare module "node-zookeeper-client" {
  import type { EventEmitter } from "node:events";
  export interface Stat {
    readonly version: number;
    readonly ephemeralOwner: Buffer;
  }
  export interface WatcherEvent {
    readonly type: number;
    readonly name: string;
    readonly path: string;
  }
  export type Watcher = (event: WatcherEvent) => void;
  export interface Client extends EventEmitter {
    connect(): void;
    close(): void;
    getSessionId(): Buffer;
    create(path: string, data: Buffer | null, mode: number, callback: (error: Error | null, path: string) => void): void;
    remove(path: string, version: number, callback: (error: Error | null) => void): void;
    setData(path: string, data: Buffer | null, version: number, callback: (error: Error | null, stat: Stat) => void): void;
    getData(path: string, watcher: Watcher | undefined, callback: (error: Error | null, data: Buffer | undefined, stat: Stat) => void): void;
    exists(path: string, watcher: Watcher | undefined, callback: (error: Error | null, stat: Stat | null) => void): void;
    getChildren(path: string, watcher: Watcher | undefined, callback: (error: Error | null, children: string[], stat: Stat) => void): void;
  }
  export function createClient(connectionString: string, options?: { sessionTimeout?: number; spinDelay?: number; retries?: number }): Client;
  export const CreateMode: { PERSISTENT: number; EPHEMERAL: number; PERSISTENT_SEQUENTIAL: number; EPHEMERAL_SEQUENTIAL: number };
  export const Exception: { NODE_EXISTS: number; NO_NODE: number; NOT_EMPTY: number; CONNECTION_LOSS: number; SESSION_EXPIRED: number };
  const zookeeper: {
    createClient: typeof createClient;
    CreateMode: typeof CreateMode;
    Exception: typeof Exception;
  };
  export default zookeeper;
}
