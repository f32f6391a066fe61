// The codec is pure, and its build makes that a compiler fact: it sees ECMAScript (lib es2022, no "dom",
// no Node types) plus these two text codecs, which every runtime it serves provides. A timer, socket or
// Node API used in the codec fails to compile. (Not emitted; the test type check, which has lib "dom",
// excludes this file.)

interface TextEncoder {
  encode(input?: string): Uint8Array<ArrayBuffer>;
}
declare const TextEncoder: { prototype: TextEncoder; new (): TextEncoder };

interface TextDecoder {
  decode(input?: Uint8Array): string;
}
declare const TextDecoder: { prototype: TextDecoder; new (label?: string): TextDecoder };
