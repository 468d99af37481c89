import { Lru } from './lru.js';

/** Sources remembered at once; beyond this the least recently failing is forgotten. */
const MAX_SOURCES = 10_000;

interface Window { start: number; failures: number }

/**
 * Counts authentication failures per source address in fixed windows. A source that failed
 * `limit` times within `windowMs` is refused (429 + Retry-After) until its window ends, before
 * its requests cost a lookup. Only failures count, so a well-behaved channel is never slowed; a
 * channel behind a proxy that also forwards an attacker shares the proxy's address and is
 * refused with it (README "Operations").
 */
export class AuthThrottle {
  private readonly windows = new Lru<string, Window>(MAX_SOURCES);

  constructor(private readonly limit: number, private readonly windowMs = 60_000) {}

  /** Seconds the source must wait (> 0 when refused), or 0 when it may try. `now`: wall-clock ms. */
  retryAfter(source: string, now: number): number {
    const w = this.windows.get(source);
    if (!w || now - w.start >= this.windowMs || w.failures < this.limit) return 0;
    return Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000));
  }

  /** Records one failed authentication of `source`. */
  failed(source: string, now: number): void {
    const w = this.windows.get(source);
    if (!w || now - w.start >= this.windowMs) this.windows.set(source, { start: now, failures: 1 });
    else w.failures++;
  }
}
