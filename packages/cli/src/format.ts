import type { FetchedMessage } from "@k07/codec";

const CODECS = ["none", "gzip", "snappy", "codec-3"];

/**
 * Renders a message with a kcat-like format string: %s payload, %S payload size, %o offset,
 * %n next offset, %t topic, %p partition, %c codec of the message, %m magic, %% a percent sign;
 * \n and \t are newline and tab.
 */
export function compileFormat(format: string): (message: FetchedMessage, topic: string, partition: number) => string {
  const parts: ((m: FetchedMessage, t: string, p: number) => string)[] = [];
  let literal = "";
  const flush = () => {
    if (literal !== "") {
      const text = literal;
      parts.push(() => text);
      literal = "";
    }
  };
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === "\\" && i + 1 < format.length) {
      const e = format[++i]!;
      literal += e === "n" ? "\n" : e === "t" ? "\t" : e;
      continue;
    }
    if (c !== "%" || i + 1 >= format.length) {
      literal += c;
      continue;
    }
    const f = format[++i]!;
    if (f === "%") {
      literal += "%";
      continue;
    }
    flush();
    switch (f) {
      case "s":
        parts.push((m) => m.text());
        break;
      case "S":
        parts.push((m) => String(m.payloadLength));
        break;
      case "o":
        parts.push((m) => String(m.offset));
        break;
      case "n":
        parts.push((m) => String(m.nextOffset));
        break;
      case "t":
        parts.push((_m, t) => t);
        break;
      case "p":
        parts.push((_m, _t, p) => String(p));
        break;
      case "c":
        parts.push((m) => CODECS[m.compression]!);
        break;
      case "m":
        parts.push((m) => String(m.magic));
        break;
      default:
        throw new RangeError(`unknown format directive %${f} (use %s %S %o %n %t %p %c %m %%)`);
    }
  }
  flush();
  return (m, t, p) => {
    let out = "";
    for (const part of parts) out += part(m, t, p);
    return out;
  };
}
