import { sql } from 'slonik';
import type { Context } from './context.js';
import { addIssuer } from './registry/issuers.js';
import { addScheme } from './registry/schemes.js';
import { addProgram } from './registry/programs.js';
import { linkDemoHolder } from './holders/demo-holder.js';
import { addAlliance } from './registry/alliances.js';
import { addMerchant, addTerminal } from './registry/merchants.js';
import { addChannel } from './registry/channels.js';
import { addGame } from './points/lottery/games.js';
import { createCard } from './cards/cards.js';
import { decrypt } from './cards/vault.js';
import { withTransaction } from './db/tx.js';
import { balancedEntry } from './ledger/entry.js';
import { bulkLoad } from './ledger/flows/index.js';
import { postEntries } from './ledger/post.js';
import { openBusinessDate } from './ledger/business-date.js';
import { ensureDemoTerminalKeys, demoTerminalKeys } from './iso/demo-keys.js';
import { localDate } from './ledger/calendar.js';
import { InputError } from './errors.js';

/** The demo set-up as `purse demo --json` prints it (design §6 contract). */
export interface Demo {
  channel: { code: string; secret: string };
  /** `tmk`: the terminal's ISO 8583 master key (32 hex; demo keys, stable per demo database). */
  merchants: { code: string; name: string; terminals: { code: string; tmk?: string }[] }[];
  programs: { code: string; kind: string }[];
  schemes: { code: string }[];
  games: { code: string }[];
  cards: { pan: string; program: string; balance: number }[];
}

export const DEMO = {
  issuer: 'DEMO-ISSUER',
  scheme: 'DEMO-PTS',
  alliance: 'DEMO-ALLIANCE',
  programs: { sv: 'DEMO-SV', combo: 'DEMO-COMBO' },
  merchants: [
    { code: 'DEMO-COFFEE', name: 'Demo Coffee', commissionBps: 150, earnRate: 1, terminal: 'T001' },
    { code: 'DEMO-BOOKS', name: 'Demo Books', commissionBps: 100, earnRate: 2, terminal: 'T001' },
  ],
  channel: 'DEMO-POS',
  game: 'DEMO-LOTTERY',
  batch: 'DEMO',
  cards: [
    { program: 'DEMO-SV', balance: 50_000 },
    { program: 'DEMO-SV', balance: 20_000 },
    { program: 'DEMO-COMBO', balance: 100_000 },
  ],
} as const;

const LOCK = 7_216_530_002;

/**
 * Channels every installation has whatever it serves (the management API's `WEB-SEAT`): they do
 * not make a database a production one. Any other channel whose code does not start with `DEMO-`
 * does (design §6: `purse demo` then refuses, since its channel secret is a published demo secret).
 */
export const BUILT_IN_CHANNELS: readonly string[] = ['WEB-SEAT'];

/**
 * Creates the demo operator set-up if it is missing — one issuer, a stored-value and a combo
 * program, a scheme, an alliance of two merchants with a terminal each, a channel, three active
 * cards with value — and returns it. Safe to run any number of times, also concurrently. Refuses
 * (InputError, nothing created) a database that holds channels other than demo and built-in
 * ones, unless `force`.
 */
export async function ensureDemo(ctx: Context, opts: { force?: boolean } = {}): Promise<Demo> {
  await ctx.db.sql.connect(async (conn) => {
    await conn.query(sql.unsafe`select pg_advisory_lock(${LOCK})`);
    try {
      if (!opts.force) {
        const others = await conn.anyFirst(sql.unsafe`
          select code from channels where code not like 'DEMO-%' and code <> all(${sql.array([...BUILT_IN_CHANNELS], 'text')}) order by code limit 3`);
        if (others.length > 0) {
          throw new InputError('not_a_demo_database', `this database holds non-demo channels (${others.join(', ')}): the demo would add a channel with a published secret; use --force to do it anyway`, 'channels');
        }
      }
      await createMissing(ctx);
    } finally {
      await conn.query(sql.unsafe`select pg_advisory_unlock(${LOCK})`);
    }
  });
  return readDemo(ctx);
}

async function exists(ctx: Context, table: string, code: string): Promise<boolean> {
  return (await ctx.db.sql.maybeOneFirst(sql.unsafe`select 1 from ${sql.identifier([table])} where code = ${code}`)) !== null;
}

async function createMissing(ctx: Context): Promise<void> {
  if (!(await exists(ctx, 'issuers', DEMO.issuer))) await addIssuer(ctx, { code: DEMO.issuer, name: 'Demo Issuer' });
  if (!(await exists(ctx, 'schemes', DEMO.scheme))) {
    await addScheme(ctx, { code: DEMO.scheme, name: 'Demo Points', issuePrice: '1.2', redemptionValue: '1', salePrice: '1.1', validityMonths: 24 });
  }
  if (!(await exists(ctx, 'programs', DEMO.programs.sv))) {
    await addProgram(ctx, { code: DEMO.programs.sv, issuer: DEMO.issuer, name: 'Demo gift card', kind: 'stored_value', bin: '623456' });
  }
  if (!(await exists(ctx, 'programs', DEMO.programs.combo))) {
    await addProgram(ctx, { code: DEMO.programs.combo, issuer: DEMO.issuer, name: 'Demo member card', kind: 'combo', bin: '623457', named: true, scheme: DEMO.scheme });
  }
  if (!(await exists(ctx, 'alliances', DEMO.alliance))) await addAlliance(ctx, { code: DEMO.alliance, name: 'Demo Alliance', scheme: DEMO.scheme });
  for (const m of DEMO.merchants) {
    if (await exists(ctx, 'merchants', m.code)) continue;
    await addMerchant(ctx, { code: m.code, name: m.name, commissionBps: m.commissionBps, earnScheme: DEMO.scheme, earnRate: m.earnRate, alliances: [DEMO.alliance] });
    await addTerminal(ctx, { merchant: m.code, code: m.terminal });
  }
  if (!(await exists(ctx, 'channels', DEMO.channel))) {
    await addChannel(ctx, { code: DEMO.channel, name: 'Demo POS network', merchants: DEMO.merchants.map((m) => m.code), feeFixed: 1, feeBps: 10 });
  }
  if (!(await exists(ctx, 'lottery_games', DEMO.game))) {
    await addGame(ctx, {
      code: DEMO.game, name: 'Demo lucky draw', scheme: DEMO.scheme, cost: 100, prizes: [
        { code: 'JACKPOT', name: '5000 points', points: 5000, probability: '0.01', stock: 10, fallback: 'BONUS' },
        { code: 'MUG', name: 'Demo Books mug', goods: 2000, merchant: 'DEMO-BOOKS', probability: '0.05', stock: 20 },
        { code: 'BONUS', name: '150 points', points: 150, probability: '0.3' },
      ],
    });
  }
  await createDemoCards(ctx);
  await linkDemoHolder(ctx, DEMO.programs.combo);
  await ensureDemoTerminalKeys(ctx, DEMO.merchants.map((m) => ({ merchant: m.code, terminal: m.terminal })));
}

async function createDemoCards(ctx: Context): Promise<void> {
  await withTransaction(ctx.db.pg, async (client) => {
    const { rows: [program] } = await client.query<{ id: number }>('select id from programs where code = $1', [DEMO.programs.sv]);
    const done = await client.query('select 1 from card_batches where program_id = $1 and reference = $2', [program!.id, DEMO.batch]);
    if (done.rowCount) return;
    const { rows: [batch] } = await client.query<{ id: number }>(
      'insert into card_batches (program_id, reference, card_count) values ($1, $2, $3) returning id', [program!.id, DEMO.batch, DEMO.cards.length]);
    const now = ctx.clock.now();
    const businessDate = await openBusinessDate(client, now, ctx.calendar);
    const entries = [];
    for (const spec of DEMO.cards) {
      const { rows: [p] } = await client.query('select id, issuer_id, bin, pan_length, validity_months, activate_on_issue, currency from programs where code = $1', [spec.program]);
      const card = await createCard(client, ctx.keys, p, {
        issuedAt: now, issuedOn: localDate(now, ctx.calendar.timezone), batchId: batch!.id, holderRef: 'demo', status: 'active',
      });
      entries.push(balancedEntry('bulk_load', bulkLoad({ cardId: card.id, issuerId: p.issuer_id, currency: p.currency, amount: spec.balance }),
        { occurredAt: now, memo: { reference: `DEMO-${card.id}` } }));
    }
    await postEntries(client, businessDate, entries);
  });
}

async function readDemo(ctx: Context): Promise<Demo> {
  const ch = await ctx.db.sql.one(sql.unsafe`select code, secret_cipher, secret_key_id from channels where code = ${DEMO.channel}`) as { code: string; secret_cipher: Buffer; secret_key_id: string };
  const merchants = await ctx.db.sql.any(sql.unsafe`
    select m.code, m.name, coalesce(json_agg(json_build_object('code', t.code) order by t.code) filter (where t.id is not null), '[]') as terminals
    from merchants m left join terminals t on t.merchant_id = m.id
    where m.code = any(${sql.array(DEMO.merchants.map((m) => m.code), 'text')})
    group by m.code, m.name order by m.code`) as Demo['merchants'];
  const tmks = await demoTerminalKeys(ctx, merchants.map((m) => m.code));
  for (const m of merchants) for (const t of m.terminals) t.tmk = tmks.get(`${m.code}/${t.code}`);
  const programs = await ctx.db.sql.any(sql.unsafe`
    select code, kind from programs where code = any(${sql.array(Object.values(DEMO.programs), 'text')}) order by code`) as Demo['programs'];
  const cards = await ctx.db.sql.any(sql.unsafe`
    select c.pan_cipher, c.key_id, p.code as program, a.balance
    from cards c join programs p on p.id = c.program_id join card_accounts a on a.card_id = c.id and a.asset = p.currency
    join card_batches b on b.id = c.batch_id
    where b.reference = ${DEMO.batch} order by c.id`) as { pan_cipher: Buffer; key_id: string; program: string; balance: number }[];
  const games = await ctx.db.sql.any(sql.unsafe`select code from lottery_games where code = ${DEMO.game}`) as Demo['games'];
  return {
    channel: { code: ch.code, secret: decrypt(ctx.keys, ch.secret_cipher, ch.secret_key_id) },
    merchants,
    programs,
    schemes: [{ code: DEMO.scheme }],
    games,
    cards: cards.map((c) => ({ pan: decrypt(ctx.keys, c.pan_cipher, c.key_id), program: c.program, balance: c.balance })),
  };
}
