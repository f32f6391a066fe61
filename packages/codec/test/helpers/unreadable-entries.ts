import { createMessage, encodeMessages } from "../../src/index.ts";

/**
 * A message set of two good messages with the second spoilt so that it cannot be read as a message,
 * whatever its length says: each variant named, with where the second entry starts. The entry walks
 * (checkers and fillers) must stop there.
 */
export function setsWithUnreadableSecondEntry(): { name: string; bytes: Uint8Array; secondAt: number }[] {
  const good = encodeMessages([createMessage("first"), createMessage("second")]);
  const secondAt = 4 + new DataView(good.buffer).getInt32(0);
  const variants: [string, (bytes: Uint8Array, view: DataView) => void][] = [
    ["magic 2", (bytes) => (bytes[secondAt + 4] = 2)],
    ["a magic-1 entry of 5 bytes", (_bytes, view) => view.setInt32(secondAt, 5)],
    ["a negative length", (_bytes, view) => view.setInt32(secondAt, -8)],
    ["a length of 4", (_bytes, view) => view.setInt32(secondAt, 4)],
    ["a length past the bytes", (_bytes, view) => view.setInt32(secondAt, 0x7fffffff)],
  ];
  return variants.map(([name, spoil]) => {
    const bytes = good.slice();
    spoil(bytes, new DataView(bytes.buffer));
    return { name, bytes, secondAt };
  });
}
