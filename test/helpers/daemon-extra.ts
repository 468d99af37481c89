import { expect } from 'vitest';
import type { Context } from '../../src/context.js';
import { createCard } from '../../src/cards/cards.js';
import { setPin as setCardPin } from '../../src/cards/pin.js';
import { luhnValid } from '../../src/cards/luhn.js';
import { withTransaction } from '../../src/db/tx.js';
import { localDate } from '../../src/ledger/calendar.js';

/** Issues `count` cards of the program `code` with the given status; returns ids and PANs. */
export async function issueCards(ctx: Context, code: string, count: number, status: 'issued' | 'active' = 'active'): Promise<{ ids: number[]; pans: string[] }> {
  const ids: number[] = [];
  const pans: string[] = [];
  await withTransaction(ctx.db.pg, async (c) => {
    const { rows: [p] } = await c.query('select id, bin, pan_length, validity_months, activate_on_issue, currency from programs where code = $1', [code]);
    for (let i = 0; i < count; i++) {
      const card = await createCard(c, ctx.keys, p, { issuedAt: ctx.clock.now(), issuedOn: localDate(ctx.clock.now(), ctx.calendar.timezone), status });
      ids.push(card.id);
      pans.push(card.pan);
    }
  });
  return { ids, pans };
}

/** Sets a card's PIN the way personalization would: only the keyed HMAC of (card, PIN) is stored. */
export async function setPin(ctx: Context, cardId: number, pin: string): Promise<void> {
  await setCardPin(ctx, { cardId }, pin);
}

/** Rows in the tables a processed message writes (transactions, entries, holds): "nothing stored" = unchanged. */
export async function storedCounts(ctx: Context): Promise<{ transactions: number; entries: number; holds: number }> {
  const { rows } = await ctx.db.pg.query(`select (select count(*)::int from transactions) as transactions,
    (select count(*)::int from entries) as entries, (select count(*)::int from holds) as holds`);
  return rows[0];
}

/**
 * Every Luhn-valid run of 13–19 digits (not part of a longer digit run, nor the fraction of a
 * number) in pino JSON log lines, ignoring pino's own `time` (epoch milliseconds are 13 digits and pass Luhn one time in ten).
 * Lines that are not JSON (e.g. a CLI's help text on stderr) are skipped unless `allText`.
 */
export function pansIn(lines: readonly string[], opts: { allText?: boolean } = {}): string[] {
  const found: string[] = [];
  for (const chunk of lines) {
    for (const line of chunk.split('\n')) {
      if (!line.trim()) continue;
      let text: string;
      try {
        const obj = JSON.parse(line) as Record<string, unknown>;
        delete obj.time;
        text = JSON.stringify(obj);
      } catch {
        if (!opts.allText) continue;
        text = line;
      }
      for (const m of text.matchAll(/(?<!\d\.)(?<!\d)\d{13,19}(?!\d)/g)) if (luhnValid(m[0])) found.push(m[0]);
    }
  }
  return found;
}

/** Asserts that the daemon logged something and that none of it holds a card number. */
export function expectNoCardNumbers(lines: readonly string[]): void {
  expect(lines.join('').length).toBeGreaterThan(0);
  expect(pansIn(lines)).toEqual([]);
}

/**
 * Allocates short-lived objects in this process (minor garbage collections), then waits a moment for
 * the GC entries to reach performance observers; returns something of the objects so none is
 * optimised away.
 */
export async function churnGarbage(): Promise<number> {
  let n = 0;
  for (let i = 0; i < 2_000_000; i++) n += { i, s: `x${i}` }.s.length;
  await new Promise((resolve) => setTimeout(resolve, 50));
  return n;
}
