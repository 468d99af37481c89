import { describe, expect, it } from 'vitest';
import { isoFixture, TMK } from '../helpers/iso.js';
import { runCli } from '../helpers/cli.js';
import { batchTotals, type BatchRow } from '../../src/iso/batches.js';
import { classOfName } from '../../src/iso/client.js';

// `purse pos` (design §5b terminal simulator) against an in-process daemon's ISO port.
const f = await isoFixture({ cards: 1 });
const [c0] = f.seed.cardIds as [number];
const [p0] = f.seed.pans as [string];
await f.fund(c0, 9_000);
const pos = (args: string[], tmk = TMK) =>
  runCli(['pos', '--host', '127.0.0.1', '--port', String(f.port), '--merchant', 'M1', '--terminal', 'T1', ...args], f.ctx.env, `${tmk}\n`);

describe('purse pos', () => {
  it('signs on with the TMK from standard input, sends a purchase and prints the decoded answer as one JSON document', async () => {
    const r = await pos(['purchase', '--card', p0, '--amount', '250', '--stan', '1000', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { sign_on: { mti: string; response_code: string }; answer: { mti: string; response_code: string; fields: Record<string, string> } };
    expect(out.sign_on).toMatchObject({ mti: '0810', response_code: '00' });
    expect(out.answer).toMatchObject({ mti: '0210', response_code: '00', message: expect.any(String) });
    expect(out.answer.fields['2']).toBe(`****${p0.slice(-4)}`);
    expect(out.answer.fields['54']).toBe('1002156C000000008750');
    expect(r.stdout).not.toContain(p0);
    expect((await f.balance(c0)).balance).toBe(8_750);
  });

  it('reverses it by its STAN, prints a human answer, and refuses a bad TMK or TYPE', async () => {
    const r = await pos(['reversal', '--card', p0, '--amount', '250', '--original-stan', '1000']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^reversal: 0410 DE39 00/m);
    expect((await f.balance(c0)).balance).toBe(9_000);
    expect((await pos(['balance', '--card', p0], 'xyz')).code).toBe(1);
    expect((await pos(['refill', '--card', p0])).code).toBe(1);
    const wrongKey = await pos(['balance', '--card', p0, '--json'], '0123456789ABCDEF0123456789ABCDEF');
    expect([wrongKey.code, wrongKey.stdout]).toEqual([1, '']);
    expect(wrongKey.stderr).toMatch(/check values: the TMK on standard input is not the terminal's/);
  });
});

describe('terminal batch totals (pure)', () => {
  const row = (request_id: string, name: string, amount: number, extra: Partial<BatchRow> = {}): BatchRow => ({
    request_id, original_request_id: null, class: name === 'reversal' ? 'R' : classOfName(name), type: name === 'completion' ? 'capture' : name === 'points-purchase' ? 'points_redeem' : name.replace('preauth-void', 'void'),
    response_code: '00', amount_approved: amount, points: name.startsWith('points'), ...extra,
  });
  it.each([
    ['purchases, completions and loads are debits; refunds credits', [row('a', 'purchase', 100), row('b', 'completion', 50), row('c', 'load', 30), row('d', 'refund', 20)], [180, 3, 20, 1]],
    ['declined and points rows are not money', [row('a', 'purchase', 100, { response_code: '51' }), row('b', 'points-purchase', 70)], [0, 0, 0, 0]],
    ['a voided purchase is out', [row('a', 'purchase', 100), row('v', 'void', 0, { original_request_id: 'a' })], [0, 0, 0, 0]],
    ['a reversed purchase is out; a reversed void restores it', [row('a', 'purchase', 100), row('r', 'reversal', 0, { class: 'R', original_request_id: 'a' }),
      row('b', 'purchase', 40), row('v', 'void', 0, { original_request_id: 'b' }), row('rv', 'reversal', 0, { class: 'R', original_request_id: 'v' })], [40, 1, 0, 0]],
    ['a reversal marker (unknown original) changes nothing', [row('a', 'purchase', 100), row('r', 'reversal', 0, { class: 'R', original_request_id: 'zz' })], [100, 1, 0, 0]],
  ] as const)('%s', (_, rows, [da, dc, ca, cc]) => {
    expect(batchTotals(rows as unknown as BatchRow[])).toEqual({ debitAmount: da, debitCount: dc, creditAmount: ca, creditCount: cc });
  });
});

describe('graceful drain', () => {
  it('closing the daemon (as on SIGTERM) answers the ISO requests in flight, then refuses new connections', async () => {
    const t = await f.terminal();
    t.stanFrom(2_000);
    await t.signOn();
    const received = () => f.logs.filter((l) => l.includes('"msg":"ISO request"')).length;
    const before = received();
    const inFlight = Array.from({ length: 5 }, () => t.send(t.request('purchase', { card: p0, amount: 10 })));
    while (received() < before + 5) await new Promise((r) => setTimeout(r, 1)); // all five read by the listener
    await f.daemon.close(5_000);
    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => a.fields.get(39))).toEqual(['00', '00', '00', '00', '00']);
    expect((await f.balance(c0)).balance).toBe(9_000 - 50);
    await expect(f.connect()).rejects.toThrow(/ECONNREFUSED/);
  });
});
