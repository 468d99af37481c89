import { describe, expect, it } from 'vitest';
import { daemonFixture } from '../helpers/daemon.js';
import { expectNoCardNumbers, storedCounts } from '../helpers/daemon-extra.js';
import { verifyLedger } from '../../src/ledger/verify.js';

// Design §5 "Strict messages": a field the type does not define or a repeated JSON key is a 400
// naming it (a typo is never processed as a default); `currency` is a defined field, declined 13
// when it is not the card program's (the fixture's program is in CNY).
const f = await daemonFixture({ cards: 2 });
const [c0, c1] = f.seed.cardIds as [number, number];
const [p0, p1] = f.seed.pans as [string, string];
const base = { merchant: 'M1', terminal: 'T1' };
await f.fund(c0, 10_000);
await f.fund(c1, 10_000);

/** Sends `body` (object or raw text) and asserts a 400 naming `field`, with nothing stored. */
async function expect400(body: Record<string, unknown> | string, field: string, code?: string): Promise<void> {
  const before = await storedCounts(f.ctx);
  const r = typeof body === 'string' ? await f.send({}, { raw: body }) : await f.send(body);
  expect(r.status).toBe(400);
  expect(r.body).toEqual({ error: { code: code ?? expect.any(String), message: expect.any(String), field } });
  expect(await storedCounts(f.ctx)).toEqual(before);
}

describe('a field the type does not define', () => {
  it('a capture with "amout" answers 400 naming amout, stores nothing and leaves the hold whole; the corrected capture takes only its amount', async () => {
    const pre = await f.send({ ...base, request_id: 's-pre', type: 'preauth', card: p0, amount: 1_000 });
    expect(pre.body).toMatchObject({ approved: true, response_code: '00' });
    const held = await f.balance(c0);
    expect(held).toEqual({ balance: 10_000, held: 1_000 });
    await expect400({ request_id: 's-cap', type: 'capture', original_request_id: 's-pre', amout: 100 }, 'amout', 'unknown_field');
    expect(await f.balance(c0)).toEqual(held);
    const cap = await f.send({ request_id: 's-cap', type: 'capture', original_request_id: 's-pre', amount: 100 });
    expect(cap.body).toMatchObject({ approved: true, response_code: '00', amount_approved: 100 });
    expect(await f.balance(c0)).toEqual({ balance: 9_900, held: 0 });
  });

  it('a field of another type is unknown too: amount on a balance inquiry, card on a void, currency on a void, game on a purchase', async () => {
    await expect400({ ...base, request_id: 's-u1', type: 'balance', card: p0, amount: 5 }, 'amount', 'unknown_field');
    await expect400({ ...base, request_id: 's-u2', type: 'void', original_request_id: 's-pre', card: p0 }, 'card', 'unknown_field');
    await expect400({ ...base, request_id: 's-u3', type: 'void', original_request_id: 's-pre', currency: 'CNY' }, 'currency', 'unknown_field');
    await expect400({ ...base, request_id: 's-u4', type: 'purchase', card: p0, amount: 5, game: 'dice' }, 'game', 'unknown_field');
  });
});

describe('a duplicate JSON key', () => {
  it('answers 400 naming the key, whichever value comes last, stores nothing and moves nothing', async () => {
    const before = await f.balance(c1);
    const body = (tail: string) => `{"request_id":"s-dup","type":"purchase","card":"${p1}","merchant":"M1","terminal":"T1",${tail}}`;
    await expect400(body('"amount":1,"amount":9000'), 'amount', 'duplicate_key');
    await expect400(body('"amount":1,"am\\u006funt":9000'), 'amount', 'duplicate_key');
    await expect400(body('"amount":1,"partial":false,"partial":true'), 'partial', 'duplicate_key');
    expect(await f.balance(c1)).toEqual(before);
    const ok = await f.send({}, { raw: body('"amount":1') });
    expect(ok.body).toMatchObject({ request_id: 's-dup', approved: true, amount_approved: 1 });
  });
});

describe('currency', () => {
  it('the program currency (CNY) is approved as without it', async () => {
    const r = await f.send({ ...base, request_id: 's-cny', type: 'purchase', card: p1, amount: 10, currency: 'CNY' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ approved: true, response_code: '00', amount_approved: 10, balance: { currency: 'CNY' } });
  });

  it('a malformed currency is a 400 naming currency', async () => {
    for (const currency of ['usd', 'US', 'USDX', 'cny', 156, '']) await expect400({ ...base, request_id: 's-cur', type: 'purchase', card: p1, amount: 10, currency }, 'currency');
  });

  it('a well-formed currency that is not the program currency is a processed decline 13: stored, nothing moved', async () => {
    const before = await f.balance(c1);
    const body = { ...base, request_id: 's-usd', type: 'purchase', card: p1, amount: 10, currency: 'USD' };
    const r = await f.send(body);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ request_id: 's-usd', approved: false, response_code: '13', amount_approved: 0 });
    const load = await f.send({ ...base, request_id: 's-usd-load', type: 'load', card: p1, amount: 10, currency: 'EUR' });
    expect(load.body).toMatchObject({ approved: false, response_code: '13' });
    expect(await f.balance(c1)).toEqual(before);
    // Stored for idempotency; the currency is part of the compared body.
    expect((await f.send(body)).body).toEqual(r.body);
    const other = await f.send({ ...body, currency: 'CNY' });
    expect(other.status).toBe(409);
  });
});

describe('GET /openapi.json', () => {
  it('answers the OpenAPI 3.1 document without authentication', async () => {
    const res = await fetch(`${f.daemon.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/v1/transactions');
  });
});

describe('afterwards', () => {
  it('keeps the ledger verified and logs no card number', async () => {
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
    expectNoCardNumbers(f.logs);
  });
});
