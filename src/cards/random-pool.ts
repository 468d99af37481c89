import crypto from 'node:crypto';

/**
 * CSPRNG bytes drawn in 64 KiB blocks: one `randomBytes` call per block instead of one per card
 * (a call costs microseconds; bulk issuance needs three per card). Every byte is handed out once,
 * and a refill allocates a new block, so bytes already handed out never change.
 */
export class RandomPool {
  private block = Buffer.alloc(0);
  private pos = 0;

  constructor(private readonly blockSize = 1 << 16) {}

  /** `size` fresh random bytes. */
  readonly take = (size: number): Buffer => {
    if (this.pos + size > this.block.length) {
      this.block = crypto.randomBytes(Math.max(this.blockSize, size));
      this.pos = 0;
    }
    const out = this.block.subarray(this.pos, this.pos + size);
    this.pos += size;
    return out;
  };
}
