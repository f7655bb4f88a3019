/**
 * The first row of this file that had each reference, for telling a repeat from a first occurrence during an
 * import. A Map of a million reference strings took 120 MB of heap; this keeps 12 bytes a reference (24 at
 * worst, the table being at most half full): the first 64 bits of the reference's SHA-256 and the row number,
 * in typed arrays with open addressing.
 *
 * Two references share 64 bits with a chance of about 3 in 100 million in a file of a million references. The
 * import checks every suspected repeat against the stored incident of its own reference, so such a pair can at
 * worst turn an update of the later row into a kept reject naming the earlier row; nothing is lost.
 */
import { hash } from 'node:crypto';

const INITIAL_CAPACITY = 1 << 12;

export class FirstRows {
  private hi = new Uint32Array(INITIAL_CAPACITY);
  private lo = new Uint32Array(INITIAL_CAPACITY);
  private rows = new Int32Array(INITIAL_CAPACITY);
  private count = 0;

  /** References held. */
  get size(): number {
    return this.count;
  }

  /** The row first seen with `reference`; otherwise records `row` as its first row and returns undefined. */
  firstRowOf(reference: string, row: number): number | undefined {
    const digest = hash('sha256', reference, 'buffer');
    const hi = digest.readUInt32LE(0);
    // 0/0 marks an empty slot, so a digest of 0/0 is stored as 0/1.
    const lo = digest.readUInt32LE(4) || (hi === 0 ? 1 : 0);
    const mask = this.hi.length - 1;
    for (let i = lo & mask; ; i = (i + 1) & mask) {
      if (this.hi[i] === 0 && this.lo[i] === 0) {
        this.hi[i] = hi;
        this.lo[i] = lo;
        this.rows[i] = row;
        this.count += 1;
        if (this.count * 2 > this.hi.length) this.grow();
        return undefined;
      }
      if (this.hi[i] === hi && this.lo[i] === lo) return this.rows[i];
    }
  }

  private grow() {
    const { hi, lo, rows } = this;
    this.hi = new Uint32Array(hi.length * 2);
    this.lo = new Uint32Array(hi.length * 2);
    this.rows = new Int32Array(hi.length * 2);
    const mask = this.hi.length - 1;
    for (let j = 0; j < hi.length; j += 1) {
      if (hi[j] === 0 && lo[j] === 0) continue;
      let i = (lo[j] as number) & mask;
      while (this.hi[i] !== 0 || this.lo[i] !== 0) i = (i + 1) & mask;
      this.hi[i] = hi[j] as number;
      this.lo[i] = lo[j] as number;
      this.rows[i] = rows[j] as number;
    }
  }
}
