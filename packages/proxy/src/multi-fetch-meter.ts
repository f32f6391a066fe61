/**
 * Counts the message-set bytes of each part of a multi-fetch response as it streams past (protocol
 * §3.3: outer error code, then per part a size, an error code and the bytes), so the proxy can keep
 * per-topic counters without assembling the response.
 */
export class MultiFetchMeter {
  /** Bytes of the outer error code still to pass. */
  private skip = 2;
  private readonly header = new Uint8Array(6);
  private headerFill = 0;
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
        // TODO(A): the codec's size-prefix splitter replaces this hand-written reader.
        const n = Math.min(6 - this.headerFill, available);
        this.header.set(bytes.subarray(position, position + n), this.headerFill);
        this.headerFill += n;
        position += n;
        if (this.headerFill < 6) continue;
        this.headerFill = 0;
        this.part++;
        // The size counts the part's error code; what follows it is the message set.
        this.body = Math.max(0, new DataView(this.header.buffer).getInt32(0) - 2);
      }
    }
  }
}
