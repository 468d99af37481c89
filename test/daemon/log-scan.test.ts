import { describe, expect, it } from 'vitest';
import { daemonFixture } from '../helpers/daemon.js';
import { pansIn } from '../helpers/daemon-extra.js';
import { luhnCheckDigit, luhnValid, maskPan } from '../../src/cards/luhn.js';
import { verifyLedger } from '../../src/ledger/verify.js';

// Card numbers sent where the contract does not expect them (a channel's bug) must not reach the
// logs either: the daemon logs at debug level here, the most it ever writes.
const f = await daemonFixture({ cards: 2 });
const [c0] = f.seed.cardIds as [number, number];
const [p0, p1] = f.seed.pans as [string, string];
const base = { merchant: 'M1', terminal: 'T1' };
await f.fund(c0, 1_000);

describe('card numbers never reach the logs', () => {
  it('not from the card field, nor a PAN used as request_id, merchant, terminal or original_request_id', async () => {
    expect((await f.send({ ...base, request_id: p1, type: 'purchase', card: p0, amount: 10 })).body).toMatchObject({ response_code: '00' });
    expect((await f.send({ ...base, request_id: p1, type: 'purchase', card: p0, amount: 11 })).status).toBe(409);
    expect((await f.send({ merchant: p1, terminal: 'T1', request_id: 'ls-2', type: 'balance', card: p0 })).body).toMatchObject({ response_code: '58' });
    expect((await f.send({ merchant: 'M1', terminal: p1, request_id: 'ls-3', type: 'balance', card: p0 })).body).toMatchObject({ response_code: '58' });
    expect((await f.send({ ...base, request_id: 'ls-4', type: 'reversal', original_request_id: p1 })).body).toMatchObject({ response_code: '00' });
    expect((await f.send({ ...base, request_id: 'ls-5', type: 'void', original_request_id: p0 })).body).toMatchObject({ response_code: '25' });
    expect((await f.send({}, { raw: `{"card": "${p0}", "request_id": "ls-6", ` })).status).toBe(400);
    const unknownType = await f.send({ ...base, request_id: 'ls-7', type: `x${p0}`, card: p0 });
    expect(unknownType.status).toBe(400);
    expect(JSON.stringify(unknownType.body)).not.toContain(p0); // nor do answers echo one
    expect((await f.send({ ...base, request_id: 'ls-8', type: 'balance', card: p0 }, { secret: 'wrong' })).status).toBe(401);
    expect((await f.send({ ...base, request_id: 'ls-9', type: 'balance', card: p0.slice(0, -1) + ((Number(p0.at(-1)) + 1) % 10) })).body).toMatchObject({ response_code: '14' });
  });

  it('the logs name the request (masked where it looks like a card number) and hold no Luhn-valid digit run', () => {
    const text = f.logs.join('');
    expect(text).toContain('"request_id":"ls-2"');
    expect(text).toContain(maskPan(p1));
    expect(pansIn(f.logs)).toEqual([]);
    for (const pan of f.seed.pans) expect(text.includes(pan)).toBe(false);
  });

  it('keeps the ledger verified', async () => {
    expect((await verifyLedger(f.ctx.db.pg)).ok).toBe(true);
  });

  it('the scanner itself finds a card number in a log line, but not in pino\'s epoch-milliseconds time', () => {
    expect(pansIn([JSON.stringify({ level: 20, time: 1773108000000, msg: `card ${p0}` })])).toEqual([p0]);
    const time = `177310800000${luhnCheckDigit('177310800000')}`;
    expect(luhnValid(time)).toBe(true);
    expect(pansIn([JSON.stringify({ level: 20, time: Number(time), msg: 'x' })])).toEqual([]);
    expect(pansIn([JSON.stringify({ level: 20, msg: `at ${time}` })])).toEqual([time]);
  });
});
