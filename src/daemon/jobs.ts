import type { Context } from '../context.js';

/**
 * A scheduled job (design §2): the scheduler runs it on its cron expression in exactly one daemon
 * (advisory lock), records every run, and catches up a run missed while all daemons were down.
 */
export interface Job {
  name: string;
  /** node-cron expression, evaluated in the business time zone. */
  cron: string;
  run(ctx: Context): Promise<Record<string, unknown> | void>;
}

/** Every job the daemon schedules. Each capability adds its own. */
export const JOBS: Job[] = [];
