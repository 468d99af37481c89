import cron from 'node-cron';
import { InputError } from '../errors.js';
import { addDays, localDate, zonedInstant } from '../ledger/calendar.js';

/**
 * Occurrences of a cron expression in a time zone, computed from any instant (design §4 "Time":
 * the scheduler decides what is due by the injectable clock, not by the wall clock node-cron
 * fires on). Five-field expressions, or six with seconds.
 */
export interface CronSpec {
  expression: string;
  timezone: string;
  seconds: number[];
  minutes: number[];
  hours: number[];
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Vixie cron: when both day fields are restricted, a day matching either is a match. */
  dayOr: boolean;
}

/** How far back an occurrence is looked for (a yearly job still finds its last run). */
const LOOKBACK_DAYS = 400;

/** Parses `expression` with node-cron's parser. Throws InputError naming the job on anything else. */
export function cronSpec(expression: string, timezone: string, job = 'job'): CronSpec {
  if (!cron.validate(expression)) throw new InputError('cron', `job ${job}: ${JSON.stringify(expression)} is not a cron expression`, 'cron');
  const f = cron.parse(expression);
  const nums = (xs: (number | string)[]) => xs.map(Number).filter((n) => Number.isInteger(n));
  const days = new Set(nums(f.dayOfMonth));
  const weekdays = new Set(nums(f.dayOfWeek).map((d) => d % 7));
  return {
    expression, timezone,
    seconds: [...f.second].sort((a, b) => b - a),
    minutes: [...f.minute].sort((a, b) => b - a),
    hours: [...f.hour].sort((a, b) => b - a),
    days, months: new Set(f.month), weekdays,
    dayOr: days.size < 31 && weekdays.size < 7,
  };
}

function dayMatches(spec: CronSpec, date: string): boolean {
  const d = new Date(`${date}T00:00:00Z`);
  if (!spec.months.has(d.getUTCMonth() + 1)) return false;
  const dom = spec.days.has(d.getUTCDate());
  const dow = spec.weekdays.has(d.getUTCDay());
  return spec.dayOr ? dom || dow : dom && dow;
}

/** Occurrences of `spec` at or before `at`, latest first, back to (excluding) `after` or the lookback. */
function* backwards(spec: CronSpec, at: Date, after: Date | null): Generator<Date> {
  let date = localDate(at, spec.timezone);
  for (let i = 0; i <= LOOKBACK_DAYS; i++, date = addDays(date, -1)) {
    if (!dayMatches(spec, date)) continue;
    for (const h of spec.hours) {
      for (const m of spec.minutes) {
        const minute = zonedInstant(date, h * 60 + m, spec.timezone).getTime();
        if (minute > at.getTime()) continue;
        for (const sec of spec.seconds) {
          const t = minute + sec * 1000;
          if (t > at.getTime()) continue;
          if (after !== null && t <= after.getTime()) return;
          yield new Date(t);
        }
      }
    }
  }
}

/** The latest occurrence at or before `at`, or null when there is none within the lookback. */
export function latestOccurrence(spec: CronSpec, at: Date): Date | null {
  for (const t of backwards(spec, at, null)) return t;
  return null;
}

/**
 * Occurrences after `after` (exclusive) up to `at` (inclusive), oldest first, at most `limit`
 * (the oldest ones: a job run per occurrence, such as settlement, must go in order).
 */
export function occurrencesBetween(spec: CronSpec, after: Date, at: Date, limit: number): Date[] {
  const all = [...backwards(spec, at, after)].reverse();
  return all.slice(0, limit);
}
