import type { EventEmitter } from "node:events";

/**
 * Adds `pair` to `pairs` and keeps it there until both of its sides have emitted "close": a side
 * still flushing what was accepted for it after the other closed stays within reach of the proxy's
 * `close()` and `bufferedBytes()`.
 */
export function holdUntilBothClose<T>(pairs: Set<T>, pair: T, sides: readonly [EventEmitter, EventEmitter]): void {
  pairs.add(pair);
  let open = sides.length;
  const forget = () => {
    if (--open === 0) pairs.delete(pair);
  };
  for (const side of sides) side.once("close", forget);
}
