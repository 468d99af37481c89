/**
 * Decision tables without PostgreSQL (issue 18): a message type's decision over a prefetched state
 * built by hand, through the same generic checks (precedence.ts) and handler the daemon's batches
 * run. `decide` answers the DE39 code and the postings, as `account asset amount` lines.
 */
import { expect } from 'vitest';
import { HANDLERS } from '../../../src/daemon/handlers/index.js';
import { decideOne, makeContext } from '../../../src/daemon/decide.js';
import { pinHmac } from '../../../src/cards/vault.js';
import type { Keyring } from '../../../src/cards/keys.js';
import type { Context } from '../../../src/context.js';
import type { Message, MessageFields } from '../../../src/daemon/message.js';
import type { CardState, Outcome, TxnState } from '../../../src/daemon/handlers/types.js';
import type { ChannelInfo, MerchantInfo, ProgramInfo } from '../../../src/daemon/registry-cache.js';
import type { Prefetched } from '../../../src/daemon/prefetch.js';
import type { Hold } from '../../../src/ledger/holds.js';
import type { Posting } from '../../../src/ledger/entry.js';
import type { WorkItem } from '../../../src/daemon/work-item.js';
import { pointsView } from '../../../src/points/view.js';

export const NOW = new Date('2026-06-15T04:00:00Z');
export const TODAY = '2026-06-15';
export const CARD = 7;
export const MERCHANT = 3;
export const PIN = '1234';
const keys = { pin: Buffer.alloc(32, 1) } as unknown as Keyring;

export const program: ProgramInfo = {
  id: 1, code: 'SV', issuerId: 1, kind: 'stored_value', currency: 'CNY', maxBalance: 100_000, reloadable: true, requiresPin: false, holdExpiryDays: 7, schemeId: null,
};
export const channel: ChannelInfo = {
  id: 5, code: 'CH', feeFixed: 1, feeBps: 10, secret: 's', oldSecret: null, oldSecretUntil: null, merchantIds: new Set([MERCHANT]),
};
export const merchant: MerchantInfo = {
  id: MERCHANT, code: 'M1', commissionBps: 150, programIds: null, terminals: new Map([['T1', 1]]), earnSchemeId: null, earnRate: null, earnCap: null,
};

/** The state a message is decided over: the card (null: unknown PAN), its original, hold and postings. */
export interface State {
  card?: Partial<Omit<CardState, 'program'>> & { balance?: number; held?: number; program?: Partial<ProgramInfo>; pin?: string } | null;
  /** The merchant, terminal or channel is refused (58). */
  refused?: boolean;
  merchant?: Partial<MerchantInfo> | null;
  original?: Partial<TxnState> | null;
  hold?: Partial<Hold>;
  postings?: Posting[];
  /** Whether the original's past business date is still open (reversal). */
  dateOpen?: boolean;
  /** The points state (points types): see POINTS. */
  points?: PointsState;
  /** A lottery's draw value. */
  draw?: number;
}

/**
 * The points registry of the points tables, as purse_points_state reads it. AIR (id 1): issue 1.2,
 * redemption 1, sale 1.5 fen a point; MALL (id 2): redemption 0.5 fen; AIR → MALL at 0.5. The card's
 * program is a combo on AIR; MERCHANT accepts both and earns 10 AIR points per 100 fen, at most 500;
 * game WIN costs 100 AIR and always pays 30.
 */
export interface PointsState {
  program?: { kind: string; scheme_id: number | null };
  accepts?: number[];
  earn?: { rate: number; cap: number | null } | null;
  rates?: boolean;
  lots?: { scheme_id: number; remaining: number; expires_at: string | null }[];
  /** Points entries of originals, their legs and lot moves (an original a refund, void or reversal undoes). */
  entries?: { id: number; kind: string; merchant_id: number | null; channel_id: number | null; memo: Record<string, unknown> | null; transaction_id: number }[];
  legs?: ({ entry_id: number } & Posting)[];
  lot_moves?: { card_id: number; entry_id: number; lot_id: number; scheme_id: number; points: number }[];
}

/** A purse_points_state document for `p` (see PointsState). */
export function pointsDoc(p: PointsState): unknown {
  return {
    schemes: [
      { id: 1, code: 'AIR', currency: 'CNY', issue_price: 12_000, redemption_value: 10_000, sale_price: 15_000, validity_months: null },
      { id: 2, code: 'MALL', currency: 'CNY', issue_price: 6_000, redemption_value: 5_000, sale_price: 7_000, validity_months: null },
    ],
    programs: [{ card_id: CARD, ...(p.program ?? { kind: 'combo', scheme_id: 1 }) }],
    accepts: (p.accepts ?? [1, 2]).map((scheme_id) => ({ merchant_id: MERCHANT, scheme_id })),
    earn_rules: p.earn === null ? [] : [{ merchant_id: MERCHANT, scheme_id: 1, ...(p.earn ?? { rate: 10, cap: 500 }) }],
    rates: p.rates === false ? [] : [{ id: 1, from: 1, to: 2, rate_micro: 500_000, effective_at: '2026-01-01T00:00:00Z' }],
    games: [{
      id: 1, code: 'WIN', scheme_id: 1, cost_points: 100, active: true,
      prizes: [{ id: 11, ordinal: 1, code: 'P30', name: '30 points', kind: 'points', points: 30, goods_value: null, merchant_id: null, weight_ppm: 1_000_000, stock: null, initial_stock: null, fallback_ordinal: null }],
    }],
    lots: (p.lots ?? [{ scheme_id: 1, remaining: 1_000, expires_at: null }]).map((l) => ({ card_id: CARD, ...l })),
    balances: [], entries: p.entries ?? [], legs: p.legs ?? [], lot_moves: p.lot_moves ?? [], draws: [], clawbacks: [], clawback_states: [], undone: [],
  };
}

export const message = (type: string, m: Partial<MessageFields> = {}): Message => ({
  requestId: 'r1', type, card: '6220000000000000', amount: null, merchant: 'M1', terminal: 'T1', originalRequestId: null, partial: false,
  pin: null, scheme: null, toScheme: null, game: null, currency: null, ...m,
}) as Message;

export function original(o: Partial<TxnState> = {}): TxnState {
  return {
    id: 100, channelId: channel.id, requestId: 'orig', type: 'purchase', cardId: CARD, merchantId: MERCHANT, terminalId: 1, asset: 'CNY',
    amountRequested: 1_000, amountApproved: 1_000, approved: true, responseCode: '00', businessDate: TODAY, originalId: null, entryId: 500,
    holdId: null, status: 'approved', commission: 15, channelFee: 2, refundedAmount: 0, bodyHash: Buffer.alloc(32), response: null,
    commissionBps: 150, dateOpen: null, ...o,
  };
}

/** The channel's fixed fee (1 fen) as the two legs the points types add to their first entry. */
export const FIXED_FEE: Posting[] = [
  { account: `channel:5`, asset: 'CNY', amount: 1 },
  { account: 'revenue:channel_fees', asset: 'CNY', amount: -1 },
];

/** The postings of a purchase of `a` at MERCHANT (150 bps) on channel CH (1 fen + 10 bps) on CARD. */
export function purchasePostings(a: number): Posting[] {
  const f = Math.round(a * 150 / 10_000);
  const c = 1 + Math.round(a * 10 / 10_000);
  return [
    { account: `card:${CARD}:value`, asset: 'CNY', amount: -a },
    { account: `merchant:${MERCHANT}`, asset: 'CNY', amount: a - f },
    { account: 'revenue:merchant_commission', asset: 'CNY', amount: f },
    { account: `channel:${channel.id}`, asset: 'CNY', amount: c },
    { account: 'revenue:channel_fees', asset: 'CNY', amount: -c },
  ];
}

export interface Decided { code: string; postings: string[]; outcome: Outcome; card: CardState | null }

/** Decides `msg` over `state` exactly as a batch does (no database: the handler must not need one). */
export function decide(msg: Message, state: State = {}): Decided {
  const handler = HANDLERS.get(msg.type)!;
  let card: CardState | null = null;
  if (state.card !== null) {
    const { balance = 10_000, held = 0, program: p, pin, ...rest } = state.card ?? {};
    card = {
      id: CARD, programId: program.id, program: { ...program, ...p }, status: 'active', expiryDate: '2029-12-31',
      pinHmac: pin === undefined ? null : pinHmac(keys, CARD, pin), pinTries: 0,
      accounts: new Map([['CNY', { balance, held }]]), patch: {}, ...rest,
    };
  }
  const orig = state.original === undefined || state.original === null ? null : original(state.original);
  if (orig && state.dateOpen !== undefined) orig.dateOpen = state.dateOpen;
  const holds = new Map<number, Hold>();
  if (state.hold) {
    const h: Hold = { id: 900, cardId: CARD, asset: 'CNY', amount: 1_000, remaining: 1_000, expiresAt: new Date(NOW.getTime() + 86_400_000), status: 'open', ...state.hold };
    holds.set(h.id, h);
  }
  const prefetched: Prefetched = {
    businessDate: TODAY, ids: [], entryIds: [], byKey: new Map(), byId: new Map(orig ? [[orig.id, orig]] : []), cardByToken: new Map(), cardByPan: new Map(),
    cards: new Map(card ? [[card.id, card]] : []), holds, postings: new Map(orig?.entryId ? [[orig.entryId, state.postings ?? purchasePostings(orig.amountApproved)]] : []),
    earns: new Map(), points: pointsView(pointsDoc(state.points ?? {})),
  };
  const info = state.merchant === null || msg.merchant === null ? null : { ...merchant, ...state.merchant };
  const item = { msg, handler, channel, merchant: { info, terminalId: 1, refused: state.refused ?? false }, bodyHash: Buffer.alloc(32) } as unknown as WorkItem;
  const ctx = { keys } as unknown as Context;
  const dc = makeContext(
    { ctx, handlers: HANDLERS, state: prefetched, extra: new Map(), businessDate: TODAY, now: NOW },
    item, 1, handler.needs.card === 'original' ? orig?.cardId ?? null : card?.id ?? null, orig, state.draw ?? null,
  );
  const outcome = decideOne(item, dc);
  const approved = outcome.code === '00' || outcome.code === '10';
  const postings = approved ? (outcome.entries ?? []).flatMap((e) => e.postings.map((p) => `${p.account} ${p.asset} ${p.amount}`)) : [];
  return { code: outcome.code, postings, outcome, card };
}

/** One row of a decision table: the situation, the state, the message, the expected code (and postings). */
export interface Row { name: string; state?: State; msg: Partial<MessageFields>; code: string; postings?: Posting[] }

/** Runs a table's rows: each expected code, and the exact postings where the row gives them (none when declined). */
export function runTable(type: string, rows: readonly Row[]): void {
  for (const r of rows) {
    const d = decide(message(type, r.msg), r.state);
    expect({ row: r.name, code: d.code }).toEqual({ row: r.name, code: r.code });
    const want = r.postings ?? [];
    if (r.postings || !(r.code === '00' || r.code === '10')) expect({ row: r.name, postings: d.postings }).toEqual({ row: r.name, postings: want.map((p) => `${p.account} ${p.asset} ${p.amount}`) });
  }
}

/**
 * The rows of design §5's precedence every card-bearing type shares, in order, each state making
 * the checks after it apply too (so the row shows which wins): 58 before 14, 14 alone, 41 before
 * 62 and 54, 62 before 54, 54 (unless `expiry` is skipped), 57 before PIN, 75 and 55 (when the type
 * checks the PIN), 13 for a foreign currency.
 */
export function precedenceRows(base: Partial<MessageFields>, opts: { pin: boolean; expiry: boolean; activate?: boolean }): Row[] {
  const pinProgram = { requiresPin: true };
  const rows: Row[] = [
    { name: '58 refused merchant wins over unknown card', state: { refused: true, card: null }, msg: base, code: '58' },
    { name: '14 unknown card', state: { card: null }, msg: base, code: '14' },
    { name: '41 lost wins over expired', state: { card: { status: 'lost', expiryDate: '2020-01-31' } }, msg: base, code: '41' },
    { name: '62 frozen wins over expired', state: { card: { status: 'frozen', expiryDate: '2020-01-31' } }, msg: base, code: '62' },
  ];
  if (!opts.activate) rows.push({ name: '62 not yet activated', state: { card: { status: 'issued' } }, msg: base, code: '62' });
  if (opts.expiry) rows.push({ name: '54 expired wins over program not accepted', state: { card: { expiryDate: '2026-05-31' }, merchant: { programIds: new Set([99]) } }, msg: base, code: '54' });
  rows.push({ name: '57 program not accepted wins over PIN', state: { merchant: { programIds: new Set([99]) }, card: { program: pinProgram, pin: PIN } }, msg: base, code: '57' });
  if (opts.pin) {
    rows.push(
      { name: '75 PIN tries exhausted wins over a right PIN', state: { card: { program: pinProgram, pin: PIN, pinTries: 3 } }, msg: { ...base, pin: PIN }, code: '75' },
      { name: '55 wrong PIN', state: { card: { program: pinProgram, pin: PIN } }, msg: { ...base, pin: '9999' }, code: '55' },
      { name: '55 no PIN sent', state: { card: { program: pinProgram, pin: PIN } }, msg: { ...base, pin: null }, code: '55' },
    );
  }
  rows.push({ name: '13 currency not the program\'s', state: {}, msg: { ...base, currency: 'USD' } as Partial<MessageFields>, code: '13' });
  return rows;
}

/**
 * The precedence rows of a type naming an original, in order: 58 (refused) before 25, 25 for an
 * unknown original or a marker, 58 for an original of another merchant, then the original's card:
 * 41 before 62 and 54, 62 before 54, 54, and 13 for a foreign currency. `state`: what makes the
 * type's own decision approve otherwise (the original, its hold).
 */
export function originalRows(base: Partial<MessageFields>, state: State): Row[] {
  return [
    { name: '58 refused merchant wins over unknown original', state: { ...state, refused: true, original: null }, msg: base, code: '58' },
    { name: '25 original unknown', state: { ...state, original: null }, msg: base, code: '25' },
    { name: '25 only a marker under the key', state: { ...state, original: { ...state.original, status: 'marker', type: null } }, msg: base, code: '25' },
    { name: '58 original at another merchant', state: { ...state, merchant: { id: MERCHANT + 1 } }, msg: base, code: '58' },
    { name: '41 lost card wins over expired', state: { ...state, card: { ...state.card, status: 'lost', expiryDate: '2020-01-31' } }, msg: base, code: '41' },
    { name: '62 frozen card wins over expired', state: { ...state, card: { ...state.card, status: 'frozen', expiryDate: '2020-01-31' } }, msg: base, code: '62' },
    { name: '54 expired card', state: { ...state, card: { ...state.card, expiryDate: '2026-05-31' } }, msg: base, code: '54' },
    { name: '13 currency not the program\'s', state, msg: { ...base, currency: 'USD' } as Partial<MessageFields>, code: '13' },
  ];
}

/** `postings` negated (a void or reversal), keeping only those `keep` accepts. */
export function negated(postings: readonly Posting[], keep: (p: Posting) => boolean = () => true): Posting[] {
  return postings.filter(keep).map((p) => ({ ...p, amount: -p.amount }));
}
