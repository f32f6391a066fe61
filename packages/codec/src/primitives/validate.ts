/**
 * Argument checks shared by every encoder and request constructor. They throw TypeError for the
 * wrong kind of value and RangeError for a value out of range, naming the argument.
 */
import { encodeTopic } from "./text.ts";

export const INT16_MAX = 0x7fff;
export const INT32_MAX = 0x7fff_ffff;
export const INT32_MIN = -0x8000_0000;

export function checkInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`${name} must be an integer, got ${describe(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`${name} must be in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/** An optional integer setting: `fallback` when absent, else checked to lie in [min, max]. */
export function optionalInteger(name: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  return value === undefined ? fallback : checkInt(name, value, min, max);
}

/**
 * The one check for every size k07 declares on the wire: `size` bytes must fit the int32 field that
 * announces them and, when given, the peer's limit (`limitName` says which, e.g. the broker's
 * max.socket.request.bytes). Throws RangeError naming `what`; returns `size`. Encoders call it
 * before allocating or writing anything, so an oversized frame is never partly sent.
 */
export function checkWireSize(what: string, size: number, limit = INT32_MAX, limitName = "the limit"): number {
  if (!(size <= INT32_MAX)) {
    throw new RangeError(`${what} of ${size} bytes does not fit an int32 size field (at most ${INT32_MAX})`);
  }
  if (size > limit) throw new RangeError(`${what} of ${size} bytes exceeds ${limitName} of ${limit} bytes`);
  return size;
}

export function checkInt32(name: string, value: unknown, min = INT32_MIN): number {
  return checkInt(name, value, min, INT32_MAX);
}

/** Offsets and times are int64 on the wire and JavaScript numbers here: they must be safe integers. */
export function checkSafeInteger(name: string, value: unknown, min = Number.MIN_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new TypeError(`${name} must be a safe integer, got ${describe(value)}`);
  }
  if (value < min) throw new RangeError(`${name} must be ≥ ${min}, got ${value}`);
  return value;
}

/** Why a topic name is illegal for a 0.7.2 broker (protocol §8.2), or undefined when it is legal. */
export function topicNameProblem(topic: string): string | undefined {
  if (topic.length === 0) return "is empty";
  if (topic.length > 255) return `is ${topic.length} characters long (max 255)`;
  if (topic === "." || topic === "..") return `may not be "${topic}"`;
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === 0x2f || c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) || c >= 0xfff0) {
      return `contains the illegal character U+${c.toString(16).toUpperCase().padStart(4, "0")} at index ${i}`;
    }
  }
  return undefined;
}

export function isLegalTopicName(topic: string): boolean {
  return topicNameProblem(topic) === undefined;
}

export function checkTopic(topic: unknown): string {
  if (typeof topic !== "string") throw new TypeError(`topic must be a string, got ${describe(topic)}`);
  const problem = topicNameProblem(topic);
  if (problem) throw new RangeError(`topic ${JSON.stringify(topic)} ${problem}`);
  if (encodeTopic(topic).length > INT16_MAX) throw new RangeError(`topic is too long when UTF-8 encoded`);
  return topic;
}

/** A decompression cap must be a number of bytes: NaN or a negative cap would disable the check or the slicing. */
export function checkMaxDecompressedBytes(maxBytes: unknown): number {
  if (typeof maxBytes !== "number" || !(maxBytes >= 0)) {
    throw new RangeError(`maxDecompressedBytes must be a non-negative number, got ${String(maxBytes)}`);
  }
  return maxBytes;
}

export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  if (typeof value === "bigint") return `${value}n`;
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : `an object (${value.constructor?.name ?? "Object"})`;
}
