import { describe, expect, it } from 'vitest';
import { daemonFixture } from '../helpers/daemon.js';
import { expectNoCardNumbers, issueCards, setPin, storedCounts } from '../helpers/daemon-extra.js';
import { addProgram } from '../../src/registry/programs.js';
import { addMerchant, addTerminal } from '../../src/registry/merchants.js';
import { allowMerchants } from '../../src/registry/channels.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const f = await daemonFixture({ cards: 8 });
const sv = f.seed.cardIds as number[];
const svPan = f.seed.pans as string[];
const base = { merchant: 'M1', terminal: 'T1' };
const DAY = 86_400_000;

// Registry before the first message, so the daemon's short registry cache sees all of it.
await addProgram(f.ctx, { code: 'PINP', issuer: 'ISS', bin: '622001', requiresPin: true });
await addProgram(f.ctx, { code: 'NORL', issuer: 'ISS', bin: '622002', reloadable: false });
await addProgram(f.ctx, { code: 'SMALL', issuer: 'ISS', bin: '622003', maxBalance: 1_000 });
await addProgram(f.ctx, { code: 'OTHER', issuer: 'ISS', bin: '622004' });
await addMerchant(f.ctx, { code: 'M2', name: 'Not on the channel' });
await addTerminal(f.ctx, { merchant: 'M2', code: 'T1' });
await addMerchant(f.ctx, { code: 'M3', name: 'Accepts OTHER only', programs: ['OTHER'] });
await addTerminal(f.ctx, { merchant: 'M3', code: 'T3' });
await allowMerchants(f.ctx, 'CH', ['M3']);
const pin = await issueCards(f.ctx, 'PINP', 2);
const norl = await issueCards(f.ctx, 'NORL', 1);
const small = await issueCards(f.ctx, 'SMALL', 2, 'issued');
const other = await issueCards(f.ctx, 'OTHER', 1);
const issued = await issueCards(f.ctx, 'SV', 1, 'issued');

let n = 0;
/** Sends a message with a fresh request_id; returns the decoded 200 body. */
async function answer(body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await f.send({ ...base, request_id: `d-${n++}`, ...body });
  expect(r.status).toBe(200);
  return r.body;
}
const code = async (body: Record<string, unknown>) => (await answer(body)).response_code;

describe('merchant, terminal and program checks', () => {
  it('58 for a terminal of another merchant and for a merchant the channel may not submit for', async () => {
    expect(await code({ type: 'balance', card: svPan[0], merchant: 'M1', terminal: 'T3' })).toBe('58');
    expect(await code({ type: 'balance', card: svPan[0], merchant: 'M2', terminal: 'T1' })).toBe('58');
    expect(await code({ type: 'balance', card: svPan[0], merchant: 'M3', terminal: 'T3' })).not.toBe('58');
  });

  it('58 for a merchant or terminal code that is outside the registry\'s format (unknown, not unreadable)', async () => {
    expect(await code({ type: 'balance', card: svPan[0], merchant: 'no such merchant', terminal: 'T1' })).toBe('58');
    expect(await code({ type: 'balance', card: svPan[0], merchant: 'M1', terminal: '_T1' })).toBe('58');
    expect(await code({ type: 'balance', card: svPan[0], merchant: 'M'.repeat(40), terminal: 'T1' })).toBe('58');
  });

  it('57 when the merchant does not accept the card\'s program; its accepted program passes', async () => {
    await f.fund(sv[0]!, 1_000);
    const before = await storedCounts(f.ctx);
    const refused = await answer({ type: 'purchase', card: svPan[0], amount: 10, merchant: 'M3', terminal: 'T3' });
    expect(refused).toMatchObject({ approved: false, response_code: '57', balance: null });
    expect((await storedCounts(f.ctx)).entries).toBe(before.entries);
    expect(await code({ type: 'balance', card: other.pans[0], merchant: 'M3', terminal: 'T3' })).toBe('00');
  });

  it('57 for a load onto a card whose program is not reloadable', async () => {
    expect(await code({ type: 'load', card: norl.pans[0], amount: 100 })).toBe('57');
  });
});

describe('card status', () => {
  it('62 for a card not yet activated (except activate), then activate makes it usable', async () => {
    const pan = issued.pans[0];
    expect(await code({ type: 'purchase', card: pan, amount: 10 })).toBe('62');
    expect(await code({ type: 'balance', card: pan })).toBe('62');
    expect(await code({ type: 'load', card: pan, amount: 10 })).toBe('62');
    expect(await answer({ type: 'activate', card: pan })).toMatchObject({ approved: true, response_code: '00', amount_approved: 0 });
    expect(await code({ type: 'balance', card: pan })).toBe('00');
    expect(await code({ type: 'activate', card: pan })).toBe('12');
  });

  it('62 for a frozen card on every type, 41 for a lost one', async () => {
    await f.fund(sv[1]!, 1_000);
    await f.ctx.db.pg.query(`update cards set status = 'frozen' where id = $1`, [sv[1]]);
    // A balance inquiry defines no amount (design §5: an undefined field is a 400).
    for (const type of ['balance', 'purchase', 'preauth', 'load']) expect(await code({ type, card: svPan[1], ...(type === 'balance' ? {} : { amount: 10 }) })).toBe('62');
    await f.ctx.db.pg.query(`update cards set status = 'lost' where id = $1`, [sv[1]]);
    for (const type of ['balance', 'purchase', 'load']) expect(await code({ type, card: svPan[1], ...(type === 'balance' ? {} : { amount: 10 }) })).toBe('41');
  });

  it('a reversal still applies on a frozen or lost card (its original never completed); a void does not (62/41)', async () => {
    const [id, pan] = [sv[0]!, svPan[0]!];
    const start = (await f.balance(id)).balance;
    for (const status of ['frozen', 'lost'] as const) {
      expect(await code({ type: 'purchase', card: pan, amount: 100, request_id: `st-${status}` })).toBe('00');
      await f.ctx.db.pg.query('update cards set status = $2 where id = $1', [id, status]);
      expect(await code({ type: 'void', original_request_id: `st-${status}` })).toBe(status === 'frozen' ? '62' : '41');
      expect(await answer({ type: 'reversal', original_request_id: `st-${status}` })).toMatchObject({ response_code: '00', amount_approved: 100 });
      expect((await f.balance(id)).balance).toBe(start);
      await f.ctx.db.pg.query(`update cards set status = 'active' where id = $1`, [id]);
    }
  });

  it('54 on an expired card for every type except balance and reversal, which still work', async () => {
    const [id, pan] = [sv[2]!, svPan[2]!];
    await f.fund(id, 5_000);
    const buyA = await answer({ type: 'purchase', card: pan, amount: 1_000, request_id: 'exp-a' });
    const buyB = await answer({ type: 'purchase', card: pan, amount: 500, request_id: 'exp-b' });
    expect([buyA.response_code, buyB.response_code]).toEqual(['00', '00']);
    await f.ctx.db.pg.query(`update cards set expiry_date = '2026-03-09' where id = $1`, [id]); // the day before the business date
    for (const type of ['purchase', 'preauth', 'load']) expect(await code({ type, card: pan, amount: 10 })).toBe('54');
    expect(await code({ type: 'void', original_request_id: 'exp-a' })).toBe('54');
    expect(await code({ type: 'refund', original_request_id: 'exp-a', amount: 100 })).toBe('54');
    expect(await answer({ type: 'balance', card: pan })).toMatchObject({ response_code: '00', balance: { available: 3_500, ledger: 3_500 } });
    expect(await answer({ type: 'reversal', original_request_id: 'exp-b' })).toMatchObject({ response_code: '00', amount_approved: 500 });
    expect((await f.balance(id)).balance).toBe(4_000);
    // A card whose status is already 'expired' answers the same way.
    await f.ctx.db.pg.query(`update cards set status = 'expired', expiry_date = null where id = $1`, [id]);
    expect(await code({ type: 'purchase', card: pan, amount: 10 })).toBe('54');
    expect(await code({ type: 'balance', card: pan })).toBe('00');
    expect(await code({ type: 'reversal', original_request_id: 'exp-a' })).toBe('00');
    expect((await f.balance(id)).balance).toBe(5_000);
  });
});

describe('PIN', () => {
  it('55 for a wrong or missing PIN (a missing one is not a try), 75 once the tries are used up, even with the right PIN; no balance shown', async () => {
    const [id, pan] = [pin.ids[0]!, pin.pans[0]!];
    await setPin(f.ctx, id, '2468');
    await f.fund(id, 1_000);
    const wrong = await answer({ type: 'purchase', card: pan, amount: 10, pin: '1111' });
    expect(wrong).toMatchObject({ approved: false, response_code: '55', balance: null });
    for (let n = 0; n < 3; n++) expect(await code({ type: 'balance', card: pan })).toBe('55');
    expect(await code({ type: 'balance', card: pan, pin: '1212' })).toBe('55');
    expect(await answer({ type: 'balance', card: pan, pin: '0000' })).toMatchObject({ response_code: '75', balance: null });
    expect(await code({ type: 'purchase', card: pan, amount: 10, pin: '2468' })).toBe('75');
    expect((await f.balance(id)).balance).toBe(1_000);
  });

  it('the right PIN before the limit approves and resets the try counter', async () => {
    const [id, pan] = [pin.ids[1]!, pin.pans[1]!];
    await setPin(f.ctx, id, '1357');
    await f.fund(id, 1_000);
    expect(await code({ type: 'purchase', card: pan, amount: 10, pin: '9999' })).toBe('55');
    expect(await code({ type: 'purchase', card: pan, amount: 10, pin: '9999' })).toBe('55');
    expect(await answer({ type: 'purchase', card: pan, amount: 10, pin: '1357' })).toMatchObject({ response_code: '00', balance: { available: 990 } });
    expect(await code({ type: 'purchase', card: pan, amount: 10, pin: '9999' })).toBe('55');
    expect(await code({ type: 'purchase', card: pan, amount: 10, pin: '9999' })).toBe('55');
    expect(await code({ type: 'preauth', card: pan, amount: 10, pin: '1357' })).toBe('00');
    // A program without PIN ignores one sent anyway.
    await f.fund(sv[3]!, 100);
    expect(await code({ type: 'purchase', card: svPan[3], amount: 10, pin: '0000' })).toBe('00');
  });
});

describe('amounts', () => {
  it('61 for an activation with value or a load above the program maximum; the card stays as it was', async () => {
    const [a, b] = small.pans as [string, string];
    expect(await answer({ type: 'activate', card: a, amount: 1_001 })).toMatchObject({ approved: false, response_code: '61' });
    expect(await code({ type: 'balance', card: a })).toBe('62');
    expect(await answer({ type: 'activate', card: a, amount: 1_000 })).toMatchObject({ approved: true, response_code: '00', amount_approved: 1_000 });
    expect(await code({ type: 'load', card: a, amount: 1 })).toBe('61');
    expect(await answer({ type: 'activate', card: b, amount: 600 })).toMatchObject({ response_code: '00', balance: { ledger: 600 } });
    expect(await code({ type: 'load', card: b, amount: 401 })).toBe('61');
    expect(await code({ type: 'load', card: b, amount: 400 })).toBe('00');
  });

  it('61 for a refund, void or reversal whose credit would take the card above the maximum', async () => {
    const [, b] = small.pans as [string, string]; // SMALL: max 1000; card b holds 1000 now
    const id = small.ids[1]!;
    expect(await code({ type: 'purchase', card: b, amount: 300, request_id: 'mx-p' })).toBe('00');
    expect(await code({ type: 'load', card: b, amount: 300 })).toBe('00');
    const before = await storedCounts(f.ctx);
    expect(await code({ type: 'refund', original_request_id: 'mx-p', amount: 300 })).toBe('61');
    expect(await code({ type: 'void', original_request_id: 'mx-p' })).toBe('61');
    expect(await code({ type: 'reversal', original_request_id: 'mx-p' })).toBe('61');
    expect((await storedCounts(f.ctx)).entries).toBe(before.entries);
    expect((await f.balance(id)).balance).toBe(1_000);
    expect(await code({ type: 'purchase', card: b, amount: 300 })).toBe('00');
    expect(await answer({ type: 'refund', original_request_id: 'mx-p', amount: 300 })).toMatchObject({ response_code: '00', balance: { ledger: 1_000 } });
  });

  it('10 for a partial preauth: the hold is what was available', async () => {
    const [id, pan] = [sv[4]!, svPan[4]!];
    await f.fund(id, 700);
    expect(await answer({ type: 'preauth', card: pan, amount: 1_000 })).toMatchObject({ approved: false, response_code: '51' });
    const part = await answer({ type: 'preauth', card: pan, amount: 1_000, partial: true });
    expect(part).toMatchObject({ approved: true, response_code: '10', amount_requested: 1_000, amount_approved: 700, balance: { available: 0, ledger: 700 } });
    expect(await f.balance(id)).toEqual({ balance: 700, held: 700 });
    expect(await code({ type: 'purchase', card: pan, amount: 1, partial: true })).toBe('51');
  });
});

describe('undoing', () => {
  it('94 for a void of a void, of a reversed original, and of an original already voided', async () => {
    await f.fund(sv[5]!, 5_000);
    await answer({ type: 'purchase', card: svPan[5], amount: 100, request_id: 'u-buy1' });
    await answer({ type: 'void', original_request_id: 'u-buy1', request_id: 'u-void1' });
    expect(await code({ type: 'void', original_request_id: 'u-void1' })).toBe('94');
    expect(await code({ type: 'void', original_request_id: 'u-buy1' })).toBe('94');
    await answer({ type: 'purchase', card: svPan[5], amount: 100, request_id: 'u-buy2' });
    expect(await code({ type: 'reversal', original_request_id: 'u-buy2' })).toBe('00');
    expect(await code({ type: 'void', original_request_id: 'u-buy2' })).toBe('94');
    expect((await f.balance(sv[5]!)).balance).toBe(5_000);
  });

  it('12 for a reversal after the original\'s business date is settled (a refund works instead)', async () => {
    const [id, pan] = [sv[6]!, svPan[6]!];
    await f.fund(id, 5_000);
    const buy = await answer({ type: 'purchase', card: pan, amount: 800, request_id: 'u-settled' });
    expect(buy.response_code).toBe('00');
    const { rows: [t] } = await f.ctx.db.pg.query(`select business_date from transactions where request_id = 'u-settled'`);
    await f.ctx.db.pg.query(`insert into business_dates (business_date, closed_at) values ($1, now())`, [t.business_date]);
    f.ctx.clock.advance(DAY);
    try {
      const before = await storedCounts(f.ctx);
      expect(await answer({ type: 'reversal', original_request_id: 'u-settled' })).toMatchObject({ approved: false, response_code: '12' });
      expect((await storedCounts(f.ctx)).entries).toBe(before.entries);
      expect((await f.balance(id)).balance).toBe(4_200);
      expect(await answer({ type: 'refund', original_request_id: 'u-settled', amount: 800 })).toMatchObject({ response_code: '00', amount_approved: 800 });
      expect((await f.balance(id)).balance).toBe(5_000);
    } finally {
      f.ctx.clock.advance(-DAY);
    }
  });

  it('a reversal of a reversal or of a refunded purchase is refused (12), a reversal of a refund gives the amount back to refund', async () => {
    const [id, pan] = [sv[7]!, svPan[7]!];
    await f.fund(id, 5_000);
    await answer({ type: 'purchase', card: pan, amount: 1_000, request_id: 'u-p' });
    await answer({ type: 'refund', original_request_id: 'u-p', amount: 400, request_id: 'u-rf' });
    expect(await code({ type: 'reversal', original_request_id: 'u-p' })).toBe('12');
    expect(await answer({ type: 'reversal', original_request_id: 'u-rf', request_id: 'u-rev-rf' })).toMatchObject({ response_code: '00', amount_approved: 400 });
    expect(await code({ type: 'reversal', original_request_id: 'u-rev-rf' })).toBe('12');
    expect((await f.balance(id)).balance).toBe(4_000);
    expect(await code({ type: 'refund', original_request_id: 'u-p', amount: 1_000 })).toBe('00');
    expect((await f.balance(id)).balance).toBe(5_000);
  });

  it('51 for a reversal of a load already spent: nothing moves, and a warning reports it for manual handling', async () => {
    const [id, pan] = [sv[3]!, svPan[3]!];
    expect(await code({ type: 'load', card: pan, amount: 2_000, request_id: 'u-ld' })).toBe('00');
    const balance = (await f.balance(id)).balance;
    expect(await code({ type: 'purchase', card: pan, amount: balance - 500 })).toBe('00');
    const before = await storedCounts(f.ctx);
    expect(await answer({ type: 'reversal', original_request_id: 'u-ld', request_id: 'u-rev-ld' })).toMatchObject({ approved: false, response_code: '51' });
    expect((await storedCounts(f.ctx)).entries).toBe(before.entries);
    expect((await f.balance(id)).balance).toBe(500);
    const warning = f.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.request_id === 'u-rev-ld' && l.level === 40);
    expect(warning).toMatchObject({ original_request_id: 'u-ld', msg: expect.stringContaining('manual handling') });
  });

  it('two reversals of an unknown original both answer 00; the late original is declined 94 once', async () => {
    expect(await code({ type: 'reversal', original_request_id: 'u-late', request_id: 'u-r1' })).toBe('00');
    expect(await code({ type: 'reversal', original_request_id: 'u-late', request_id: 'u-r2' })).toBe('00');
    expect(await code({ type: 'purchase', card: svPan[0], amount: 10, request_id: 'u-late' })).toBe('94');
    const { rows } = await f.ctx.db.pg.query(`select count(*)::int as n, max(entry_id) as entry from transactions where request_id = 'u-late'`);
    expect(rows[0]).toEqual({ n: 1, entry: null });
  });
});

describe('afterwards', () => {
  it('keeps the ledger verified and logs no card number', async () => {
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
    expectNoCardNumbers(f.logs);
  });
});
