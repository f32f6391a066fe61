import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

/**
 * A member id as the 0.7 Java consumer makes it (protocol §9): `<group>_<hostname>-<epoch ms>-<8 hex>`,
 * or `<group>_<configured id>` when one is given (0.7's `consumerid` setting).
 */
export function makeConsumerId(group: string, configured?: string, now: number = Date.now()): string {
  if (configured !== undefined) return `${group}_${configured}`;
  return `${group}_${hostname()}-${now}-${randomBytes(4).toString("hex")}`;
}
