import type pg from 'pg';

/** /healthz answers within this, whatever the database does (a paused server must not hang it). */
const HEALTH_MS = 900;

/**
 * The database check behind GET /healthz: `select 1`, at most one at a time (a stuck server must
 * not collect a pile of waiting probes, each holding a pool connection), answered within
 * HEALTH_MS: a probe not back by then counts as unhealthy.
 */
export class HealthProbe {
  private pending: Promise<boolean> | null = null;

  constructor(private readonly pool: pg.Pool, private readonly ms = HEALTH_MS) {}

  async ok(): Promise<boolean> {
    this.pending ??= this.pool.query('select 1').then(() => true, () => false).finally(() => {
      this.pending = null;
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.ms);
    });
    return Promise.race([this.pending, late]).finally(() => clearTimeout(timer));
  }
}
