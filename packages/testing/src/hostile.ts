/** Message sets for hostile-input tests, shared by the codec, client and broker suites. */

/**
 * `count` empty magic-1 messages as a message set: 10 bytes each (length 6, magic 1, attributes 0,
 * CRC 0 of nothing). Millions of them gzip to a few tens of kilobytes.
 */
export function emptyMessageSet(count: number): Uint8Array {
  const set = new Uint8Array(count * 10);
  for (let at = 0; at < set.length; at += 10) {
    set[at + 3] = 6;
    set[at + 4] = 1;
  }
  return set;
}
