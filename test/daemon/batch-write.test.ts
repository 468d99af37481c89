import { describe, expect, it } from 'vitest';
import { writeStatements, type RowWrite } from '../../src/daemon/batch-write.js';

// The write step as statements (pure): points bookkeeping is written whether or not the batch posts
// an entry (an undo may only mark a claw-back reversed).
const write = (outcome: RowWrite['outcome']): RowWrite => ({
  item: { channel: { id: 1 }, msg: { requestId: 'r1', type: 'void', amount: null }, merchant: { terminalId: null }, bodyHash: Buffer.alloc(32) } as unknown as RowWrite['item'],
  txnId: 7, adoptsMarker: false, outcome, card: null, cardIdForRow: 3, merchantIdForRow: null,
  response: { request_id: 'r1', transaction_id: 7, type: 'void', approved: true, response_code: '00', message: 'approved', amount_requested: null, amount_approved: 0, balance: null },
});

describe('write statements', () => {
  it('writes an approved outcome\'s points bookkeeping even when no entry is posted', () => {
    const statements = writeStatements({
      businessDate: '2026-12-06', now: new Date('2026-12-06T02:00:00Z'), cards: new Map(), dirty: [], markers: [], entryIds: [],
      writes: [write({ code: '00', points: [{ offset: 0, effects: [{ type: 'clawback_reversed', cardId: 3, clawbackId: 11 }] }] })],
    });
    expect(statements.some((s) => s.startsWith('execute "purse_batch_post_entries"'))).toBe(false);
    expect(statements.filter((s) => s.startsWith('execute "purse_points_reverse_clawback"'))).toHaveLength(1);
    expect(statements.at(-1)).toBe('commit');
  });

  it('posts every entry with an id taken ahead, the row naming the first, and refuses to run short', () => {
    const entry = { kind: 'purchase' as const, occurredAt: new Date(), postings: [{ account: 'card:3:value', asset: 'CNY', amount: -5 }, { account: 'merchant:2', asset: 'CNY', amount: 5 }] };
    const b = {
      businessDate: '2026-12-06', now: new Date('2026-12-06T02:00:00Z'), cards: new Map(), dirty: [], markers: [],
      writes: [write({ code: '00', entries: [entry, entry] })],
    };
    const statements = writeStatements({ ...b, entryIds: [41, 42] });
    expect(statements.find((s) => s.startsWith('execute "purse_batch_post_entries"'))).toContain('{"41","42"}');
    expect(() => writeStatements({ ...b, entryIds: [41] })).toThrow(/fewer entry ids/);
  });
});
