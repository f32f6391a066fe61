/**
 * Runs a jest suite against a real ZooKeeper server (Debian's `zookeeper` package, started on a
 * free 127.0.0.1 port). Where the server is not installed the suite is skipped with one line saying
 * how to enable it — unless K07_REQUIRE_ZOOKEEPER is set (CI sets it), where that is a failure.
 */
import { startLocalZooKeeper, zooKeeperUnavailableReason, type LocalZooKeeper } from "@k07/zookeeper";

export function describeWithZooKeeper(name: string, body: (zk: () => LocalZooKeeper) => void): void {
  const reason = zooKeeperUnavailableReason();
  if (reason !== undefined && !process.env.K07_REQUIRE_ZOOKEEPER) {
    console.log(`skipping "${name}": ${reason}; run .ci/install-system-deps (or set K07_ZOOKEEPER_CLASSPATH) to enable it`);
    describe.skip(name, () => body(() => undefined as never));
    return;
  }
  describe(name, () => {
    let server: LocalZooKeeper | undefined;
    beforeAll(async () => {
      server = await startLocalZooKeeper();
    }, 30_000);
    afterAll(async () => {
      await server?.stop();
    });
    body(() => {
      if (server === undefined) throw new Error("ZooKeeper did not start");
      return server;
    });
  });
}
