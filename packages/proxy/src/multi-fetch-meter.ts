import { SizePrefixSplitter } from "@k07/codec";

/**
 * Counts the message-set bytes of each part of a multi-fetch response as it streams past (protocol
 * §3.3: outer error code, then per part a size, an error code and the bytes), so the proxy can keep
 * per-topic counters without assembling the response.
 */
export class MultiFetchMeter {
  /** Bytes still to pass uncounted: the outer error code, then each part's error code. */
  private skip = 2;
  private readonly prefix = new SizePrefixSplitter();
  private body = 0;
  private part = -1;

  constructor(private readonly count: (part: number, bytes: number) => void) {}

  feed(bytes: Uint8Array): void {
    let position = 0;
    while (position < bytes.length) {
      const available = bytes.length - position;
      if (this.skip > 0) {
        const n = Math.min(this.skip, available);
        this.skip -= n;
        position += n;
      } else if (this.body > 0) {
        const n = Math.min(this.body, available);
        this.count(this.part, n);
        this.body -= n;
        position += n;
      } else {
        position = this.prefix.read(bytes, position);
        const size = this.prefix.size;
        if (size === undefined) continue;
        this.part++;
        // The size counts the part's error code (skipped); what follows it is the message set.
        this.skip = 2;
        this.body = Math.max(0, size - 2);
      }
    }
  }
}
