/** Replays a game's recorded draws (purse game audit): every draw and the stock must add up. */
import type { Context } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import { fallbackChain, prizeForValue } from './mapping.js';
import { gameByCode } from './draw.js';

export interface DrawMismatch { draw_id: number; card_id: number; random_value: number; problem: string }
export interface StockCheck { prize: string; initial_stock: number; awarded: number; stock: number; ok: boolean }
export interface GameAudit { game: string; draws: number; mismatches: DrawMismatch[]; stock: StockCheck[]; ok: boolean }

const PAGE = 10_000;
const LIMIT = 100;

/**
 * Replays every draw of the game: its recorded random value must map (`prizeForValue`) to the
 * recorded drawn prize, and the awarded prize must be on that prize's fallback chain, passing only
 * prizes with limited stock. Each stocked prize must have exactly initial_stock − (awards not
 * reversed) left. Reports at most 100 mismatches; `ok` when there are none.
 */
export async function auditGame(ctx: Context, code: string): Promise<GameAudit> {
  const game = await gameByCode(ctx.db.pg, code);
  if (!game) throw new NotFoundError('game', code, 'code');
  const byId = new Map(game.prizes.map((p) => [p.id, p]));
  const name = (id: number | null) => (id === null ? 'no prize' : byId.get(id)?.code ?? `prize ${id}`);
  const mismatches: DrawMismatch[] = [];
  const awarded = new Map<number, number>();
  let draws = 0;
  let after = 0;
  for (;;) {
    // Keyset pages over lottery_draws_game (game_id, id): constant memory whatever the number of draws.
    const { rows } = await ctx.db.pg.query<{ card_id: number; id: number; random_value: number; drawn_prize_id: number | null; prize_id: number | null; reversed: boolean }>({
      name: 'lottery_audit_draws',
      text: `
        select card_id, id, random_value, drawn_prize_id, prize_id, reversed from lottery_draws
        where game_id = $1 and id > $2 order by id limit $3`,
      values: [game.id, after, PAGE],
    });
    if (rows.length === 0) break;
    for (const d of rows) {
      draws++;
      if (d.prize_id !== null && !d.reversed) awarded.set(d.prize_id, (awarded.get(d.prize_id) ?? 0) + 1);
      const replayed = prizeForValue(game.prizes, d.random_value);
      const chain = fallbackChain(game.prizes, replayed);
      const at = d.prize_id === null ? chain.length : chain.findIndex((p) => p.id === d.prize_id);
      let problem: string | null = null;
      if ((replayed?.id ?? null) !== d.drawn_prize_id) problem = `recorded drawn prize ${name(d.drawn_prize_id)}, value replays to ${name(replayed?.id ?? null)}`;
      else if (at < 0) problem = `awarded ${name(d.prize_id)}, not on the fallback chain of ${name(d.drawn_prize_id)}`;
      else if (chain.slice(0, at).some((p) => p.initialStock === null)) problem = `awarded ${name(d.prize_id)} although an unlimited prize comes before it`;
      if (problem && mismatches.length < LIMIT) mismatches.push({ draw_id: d.id, card_id: d.card_id, random_value: d.random_value, problem });
    }
    after = rows[rows.length - 1]!.id;
  }
  const stock = game.prizes.filter((p) => p.initialStock !== null).map((p) => {
    const n = awarded.get(p.id) ?? 0;
    return { prize: p.code, initial_stock: p.initialStock!, awarded: n, stock: p.stock!, ok: p.stock === p.initialStock! - n };
  });
  return { game: game.code, draws, mismatches, stock, ok: mismatches.length === 0 && stock.every((s) => s.ok) };
}
