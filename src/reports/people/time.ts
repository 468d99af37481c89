// Formatters are costly to build (zone data) and cheap to use: one per zone, kept for the process.
// Bounded: one entry per configured zone name.
const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timezone: string): Intl.DateTimeFormat {
  let f = formats.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'longOffset',
    });
    formats.set(timezone, f);
  }
  return f;
}

/**
 * An instant as people read it (design §6b): local time in `timezone` with its offset,
 * `2026-03-10 14:05:09+08:00` — never bare UTC.
 */
export function localTime(at: Date, timezone: string): string {
  const parts = formatFor(timezone).formatToParts(at);
  const get = (t: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === t)?.value ?? '';
  const zone = get('timeZoneName'); // "GMT+08:00", or "GMT" at offset zero
  const offset = zone === 'GMT' ? '+00:00' : zone.slice(3);
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}${offset}`;
}

/**
 * An instant as ISO 8601 in `timezone` with its offset and milliseconds
 * (`2026-03-10T14:05:09.123+08:00`): the same instant as `toISOString()`, still machine-readable,
 * but the wall time people in that zone see.
 */
export function isoLocal(at: Date, timezone: string): string {
  const t = localTime(at, timezone);
  return `${t.slice(0, 10)}T${t.slice(11, 19)}.${String(at.getUTCMilliseconds()).padStart(3, '0')}${t.slice(19)}`;
}
