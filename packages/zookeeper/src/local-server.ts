import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ZooKeeperSession } from "./session.ts";

/** Where Debian's `zookeeper` package puts the server (override with K07_ZOOKEEPER_CLASSPATH). */
const DEFAULT_CLASSPATH = "/usr/share/java/zookeeper.jar";

/** Why a local ZooKeeper server cannot be started here, or undefined when it can. */
export function zooKeeperUnavailableReason(): string | undefined {
  const classpath = process.env.K07_ZOOKEEPER_CLASSPATH ?? DEFAULT_CLASSPATH;
  if (!classpath.split(":").every((p) => existsSync(p)))
    return `no ZooKeeper server at ${classpath} (install Debian's zookeeper package: .ci/install-system-deps)`;
  return undefined;
}

export interface LocalZooKeeper {
  readonly connectString: string;
  readonly port: number;
  /** Stops the server (by its pid) and deletes its data. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a ZooKeeper server in the foreground on a free 127.0.0.1 port with a temporary data dir
 * (Debian's package, run with `java`), for tests and local clusters. Resolves once it accepts
 * sessions.
 */
export async function startLocalZooKeeper(options: { tickTimeMs?: number } = {}): Promise<LocalZooKeeper> {
  const reason = zooKeeperUnavailableReason();
  if (reason !== undefined) throw new Error(reason);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "k07-zookeeper-"));
  const config = join(dataDir, "zoo.cfg");
  writeFileSync(
    config,
    [
      `tickTime=${options.tickTimeMs ?? 500}`,
      `dataDir=${dataDir}`,
      `clientPort=${port}`,
      "clientPortAddress=127.0.0.1",
      "admin.enableServer=false",
      "maxClientCnxns=0",
      "minSessionTimeout=1000",
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(
    process.env.JAVA ?? "java",
    ["-Xmx256m", "-cp", process.env.K07_ZOOKEEPER_CLASSPATH ?? DEFAULT_CLASSPATH, "org.apache.zookeeper.server.ZooKeeperServerMain", config],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()).length > 10_000 && (stderr = stderr.slice(-5000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 3000)))]);
    clearTimeout(timer);
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  while (!(await answersRuok(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`ZooKeeper did not start: ${stderr.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // Accepting connections is not yet serving sessions: wait for a real session before handing it out.
  const connectString = `127.0.0.1:${port}`;
  try {
    const probe = await ZooKeeperSession.connect(connectString, { sessionTimeoutMs: 6000, connectTimeoutMs: Math.max(1000, deadline - Date.now()) });
    await probe.close();
  } catch (error) {
    await stop();
    throw new Error(`ZooKeeper did not serve a session: ${(error as Error).message} ${stderr.slice(-2000)}`, { cause: error });
  }
  return { connectString, port, stop };
}

/** True once the server accepts connections (a TCP connect succeeds). */
function answersRuok(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    import("node:net").then(
      ({ connect }) => {
        const socket = connect(port, "127.0.0.1");
        socket.once("connect", () => {
          socket.destroy();
          resolve(true);
        });
        socket.once("error", () => resolve(false));
      },
      () => resolve(false),
    );
  });
}
