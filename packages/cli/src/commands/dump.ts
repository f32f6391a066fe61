import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { basename } from "node:path";
import { DEFAULT_MAX_DECOMPRESSED_BYTES, K07Error, compressionCodec, crc32, decodeMessageSet, type FetchedMessage } from "@k07/codec";
import { parseSegmentFileName } from "@k07/broker";
import { CliError } from "../address.ts";
import type { CommandIo } from "./io.ts";

const WINDOW = 8 * 1024 * 1024;
const CODECS = ["none", "gzip", "snappy", "codec-3"];

export interface DumpOptions {
  deep?: boolean;
}

/**
 * `k07 dump <segment.kafka>`: every entry of a 0.7 log segment file with its offset, size, magic,
 * codec and whether its CRC is valid, like 0.7's DumpLogSegments. Reads the file in windows.
 */
export async function dumpCommand(file: string, options: DumpOptions, io: CommandIo): Promise<number> {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    throw new CliError(`cannot open ${file}: ${(error as Error).message}`);
  }
  const base = parseSegmentFileName(basename(file)) ?? 0;
  let invalid = 0;
  let entries = 0;
  try {
    const size = fstatSync(fd).size;
    io.out(`dumping ${file} (start offset ${base}, ${size} bytes)\n`);
    let position = 0;
    let window = WINDOW;
    while (position < size) {
      const length = Math.min(window, size - position);
      const bytes = new Uint8Array(length);
      readSync(fd, bytes, 0, length, position);
      const set = decodeMessageSet(bytes, { baseOffset: base + position, verifyCrc: false, decompress: false });
      if (set.entryCount === 0) {
        if (set.requiredBytes > length && position + set.requiredBytes <= size) {
          window = set.requiredBytes;
          continue;
        }
        const reason = set.malformed?.message ?? `${size - position} trailing bytes: a partial entry`;
        io.out(`offset: ${base + position} invalid: ${reason}\n`);
        invalid++;
        break;
      }
      try {
        for (const message of set) {
          entries++;
          const valid = crc32(message.payload) === message.crc;
          if (!valid) invalid++;
          io.out(describe(message, valid));
          if (options.deep && message.compression !== 0 && valid) {
            try {
              const inflated = compressionCodec(message.compression).decompress(message.payload, DEFAULT_MAX_DECOMPRESSED_BYTES);
              for (const inner of decodeMessageSet(inflated)) io.out(`  inner ${describe(inner, true, message.offset)}`);
            } catch (error) {
              if (!(error instanceof K07Error)) throw error;
              io.out(`  cannot read the compressed payload: ${error.message}\n`);
              invalid++;
            }
          }
        }
      } catch (error) {
        if (!(error instanceof K07Error)) throw error;
        io.out(`invalid: ${error.message}\n`);
        invalid++;
        break;
      }
      position += set.validBytes;
      window = WINDOW;
    }
  } finally {
    closeSync(fd);
  }
  io.err(`${entries} entries, ${invalid} invalid`);
  return invalid === 0 ? 0 : 1;
}

function describe(m: FetchedMessage, valid: boolean, wrapper?: number): string {
  const offset = wrapper === undefined ? `offset: ${m.offset}` : `in wrapper at ${wrapper}`;
  return `${offset} size: ${m.payloadLength + (m.magic === 1 ? 6 : 5)} magic: ${m.magic} compression: ${CODECS[m.compression]} crc: ${m.crc.toString(16).padStart(8, "0")} valid: ${valid}\n`;
}
