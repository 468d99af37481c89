import { InputError } from '../errors.js';

/**
 * Control totals a load file is checked against: a count of detail lines and the sum of their
 * amounts. A trailer has both; `--expect-count` and `--expect-total` may each come alone (null:
 * not checked).
 */
export interface ControlTotals {
  count: number | null;
  total: bigint | null;
  /** Where the figures came from, for messages: `trailer (line 12)`, `--expect-count`. */
  source: string;
}

/** What the file holds: detail lines, and the sum of the amounts that could be read. */
export interface FoundTotals {
  count: number;
  total: bigint;
  /** First detail line whose amount could not be read (null when all could). */
  unreadableLine: number | null;
}

/**
 * Parses a trailer line's fields `TRAILER,<count>,<total>` (count: digits; total: optionally
 * signed digits). Throws InputError naming the line when malformed.
 */
export function parseTrailer(fields: readonly string[], line: number): ControlTotals {
  const [, count, total] = fields;
  if (fields.length !== 3 || !/^[0-9]{1,9}$/.test(count ?? '') || !/^-?[0-9]{1,18}$/.test(total ?? '')) {
    throw new InputError('bad_trailer', `line ${line}: the trailer must be TRAILER,<count>,<total> with whole numbers`, `line ${line}`);
  }
  return { count: Number(count), total: BigInt(total!), source: `trailer (line ${line})` };
}

/**
 * Checks every set of control totals against what was found. Throws InputError (nothing may be
 * posted) when one does not match — saying expected and found count and total — or when some
 * amount could not be read, since then the total cannot be checked (design §6).
 */
export function checkControlTotals(expected: readonly ControlTotals[], found: FoundTotals): void {
  if (expected.length === 0) return;
  if (found.unreadableLine !== null) {
    throw new InputError('control_totals', `line ${found.unreadableLine}: amount cannot be read, so the control totals cannot be checked; file rejected, nothing posted`, `line ${found.unreadableLine}`);
  }
  for (const e of expected) {
    const countWrong = e.count !== null && e.count !== found.count;
    if (countWrong || (e.total !== null && e.total !== found.total)) {
      // the field: the trailer, or the option whose figure does not match
      const field = !e.source.startsWith('--') ? 'trailer' : countWrong ? 'expect-count' : 'expect-total';
      throw new InputError('control_totals',
        `control totals do not match (${e.source}): expected ${describe(e.count, e.total)}, found ${describe(found.count, found.total)}; file rejected, nothing posted`,
        field);
    }
  }
}

/** `3 rows totalling 600`, or the half that is known. */
function describe(count: number | null, total: bigint | null): string {
  const rows = count === null ? null : `${count} rows`;
  if (total === null) return rows!;
  return rows === null ? `a total of ${total}` : `${rows} totalling ${total}`;
}
