/**
 * Business dates (design §4 "Time", §6): the business date D covers the instants from the cut-off
 * on the day before D (exclusive of D's own cut-off) in the configured zone. A 00:00 cut-off makes
 * D the plain calendar date in that zone.
 */
export interface Calendar {
  timezone: string;
  cutoffMinutes: number;
}

const DAY_MS = 86_400_000;

// Building an Intl.DateTimeFormat costs tens of microseconds (it loads zone and locale data);
// formatting with a built one costs about one. The authorization path asks for the business date
// of every batch, so the formatters are made once per zone and reused.
const dateFormats = new Map<string, Intl.DateTimeFormat>();
const partFormats = new Map<string, Intl.DateTimeFormat>();

function memo(cache: Map<string, Intl.DateTimeFormat>, timezone: string, make: () => Intl.DateTimeFormat): Intl.DateTimeFormat {
  let f = cache.get(timezone);
  if (!f) {
    f = make();
    cache.set(timezone, f);
  }
  return f;
}

/** The calendar date ('YYYY-MM-DD') of an instant in `timezone`. */
export function localDate(at: Date, timezone: string): string {
  return memo(dateFormats, timezone, () => new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' })).format(at);
}

/** The business date an instant belongs to. */
export function businessDateOf(at: Date, cal: Calendar): string {
  const cutoff = cal.cutoffMinutes === 0 ? 1440 : cal.cutoffMinutes;
  return localDate(new Date(at.getTime() + (1440 - cutoff) * 60_000), cal.timezone);
}

/** The instant business date `date` ends (its cut-off). */
export function cutoffInstant(date: string, cal: Calendar): Date {
  const cutoff = cal.cutoffMinutes === 0 ? 1440 : cal.cutoffMinutes;
  return zonedInstant(date, cutoff, cal.timezone);
}

/** The instant of `minutes` after local midnight of `date` in `timezone` (minutes may be 1440). */
export function zonedInstant(date: string, minutes: number, timezone: string): Date {
  const guess = Date.parse(`${date}T00:00:00Z`) + minutes * 60_000;
  // Correct by the zone's offset at the guess, twice to settle across an offset change.
  let t = guess;
  for (let i = 0; i < 2; i++) t = guess - offsetMs(new Date(t), timezone);
  return new Date(t);
}

function offsetMs(at: Date, timezone: string): number {
  const parts = memo(partFormats, timezone, () => new Intl.DateTimeFormat('en-US', {
    timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  })).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** `date` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Last day of the month `months` after the month of `date` (card expiry, design §3). */
export function endOfMonthAfter(date: string, months: number): string {
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7)) - 1 + months;
  return new Date(Date.UTC(y, m + 1, 0)).toISOString().slice(0, 10);
}

/** Whether `s` is a real calendar date written YYYY-MM-DD. */
export function isIsoDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}
