import { describe, expect, it } from 'vitest';
import { daemonFixture } from '../helpers/daemon.js';
import { expectNoCardNumbers, storedCounts } from '../helpers/daemon-extra.js';
import { verifyLedger } from '../../src/ledger/verify.js';

const f = await daemonFixture({ cards: 1 });
const [c0] = f.seed.cardIds as [number];
const [p0] = f.seed.pans as [string];
const base = { merchant: 'M1', terminal: 'T1' };
const buy = { ...base, request_id: 'v-1', type: 'purchase', card: p0, amount: 100 };
await f.fund(c0, 10_000);

/** Sends a message (object, or raw text) and asserts 400 naming `field`, with nothing stored. */
async function expect400(body: Record<string, unknown> | string, field: string) {
  const before = await storedCounts(f.ctx);
  const r = typeof body === 'string' ? await f.send({}, { raw: body }) : await f.send(body);
  expect(r.status).toBe(400);
  expect(r.body).toEqual({ error: { code: expect.any(String), message: expect.any(String), field } });
  expect(await storedCounts(f.ctx)).toEqual(before);
}

const without = (o: Record<string, unknown>, k: string) => Object.fromEntries(Object.entries(o).filter(([key]) => key !== k));

describe('unreadable messages answer 400 naming the field, store nothing', () => {
  it('not JSON, or JSON that is not an object: body', async () => {
    await expect400('{"request_id": "v-1", "type": "purchase"', 'body');
    await expect400('', 'body');
    await expect400('[1,2]', 'body');
    await expect400('"purchase"', 'body');
    await expect400('null', 'body');
  });

  it('a missing or malformed request_id', async () => {
    await expect400(without(buy, 'request_id'), 'request_id');
    for (const id of ['', 'has space', 'x'.repeat(65), 'semi;colon', 42]) await expect400({ ...buy, request_id: id }, 'request_id');
  });

  it('a missing or unknown type', async () => {
    await expect400(without(buy, 'type'), 'type');
    await expect400({ ...buy, type: 'teleport' }, 'type');
    await expect400({ ...buy, type: 7 }, 'type');
  });

  it('a card missing where the type needs one, or not 13–19 digits', async () => {
    for (const type of ['balance', 'activate', 'load', 'purchase', 'preauth']) await expect400({ ...without(buy, 'card'), type }, 'card');
    for (const card of ['622000123456', '62200012345678901234', '6220-0012-3456-7890', 6220001234567890, '']) await expect400({ ...buy, card }, 'card');
  });

  it('an amount missing where the type needs one, or not an integer > 0', async () => {
    for (const type of ['load', 'purchase', 'preauth']) await expect400({ ...without(buy, 'amount'), type }, 'amount');
    await expect400({ ...base, request_id: 'v-rf', type: 'refund', original_request_id: 'x' }, 'amount');
    for (const amount of [0, -5, 1.5, '100', 1e20, true]) await expect400({ ...buy, amount }, 'amount');
  });

  it('a missing merchant or terminal, or an original_request_id missing or malformed', async () => {
    await expect400(without(buy, 'merchant'), 'merchant');
    await expect400(without(buy, 'terminal'), 'terminal');
    await expect400({ ...buy, merchant: 3 }, 'merchant');
    await expect400({ ...buy, merchant: '' }, 'merchant');
    await expect400({ ...buy, terminal: 'T'.repeat(65) }, 'terminal');
    for (const type of ['capture', 'void', 'reversal', 'refund']) await expect400({ ...base, request_id: 'v-o', type, amount: 10 }, 'original_request_id');
    await expect400({ ...base, request_id: 'v-o', type: 'void', original_request_id: 'bad id' }, 'original_request_id');
  });

  it('a partial flag that is not a boolean, a PIN that is not digits', async () => {
    await expect400({ ...buy, partial: 'yes' }, 'partial');
    await expect400({ ...buy, pin: '12ab' }, 'pin');
  });

  it('a body above 16 KiB answers 413 and stores nothing', async () => {
    const before = await storedCounts(f.ctx);
    const r = await f.send({}, { raw: JSON.stringify({ ...buy, padding: 'x'.repeat(17_000) }) });
    expect(r.status).toBe(413);
    expect(r.body).toEqual({ error: { code: 'too_large', message: expect.any(String), field: 'body' } });
    expect(await storedCounts(f.ctx)).toEqual(before);
  });

  it('is not idempotent: the request_id of a refused message is still free', async () => {
    const r = await f.send(buy);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ request_id: 'v-1', approved: true, response_code: '00', amount_approved: 100 });
    expect((await f.balance(c0)).balance).toBe(9_900);
  });

  it('a Luhn-invalid card of the right length is no 400 but a processed decline (14)', async () => {
    const bad = p0.slice(0, -1) + String((Number(p0.slice(-1)) + 1) % 10);
    const r = await f.send({ ...buy, request_id: 'v-luhn', card: bad });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ approved: false, response_code: '14', balance: null });
  });

  it('keeps the ledger verified and logs no card number', async () => {
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
    expectNoCardNumbers(f.logs);
  });
});
