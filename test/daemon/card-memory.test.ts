import { describe, expect, it } from 'vitest';
import { CardMemory } from '../../src/daemon/card-memory.js';
import type { CardState } from '../../src/daemon/handlers/types.js';
import type { ProgramInfo } from '../../src/daemon/registry-cache.js';

function card(id: number, balance: number, patch: CardState['patch'] = {}): CardState {
  return {
    id, programId: 1, program: {} as ProgramInfo, status: 'active', expiryDate: '2030-12-31', pinHmac: null, pinTries: 0,
    lastActivityAt: null, accounts: new Map([['CNY', { balance, held: 0 }]]), patch,
  };
}

describe('CardMemory', () => {
  it('remembers a card as its batch left it: balances and the patch written to its row', () => {
    const memory = new CardMemory();
    const at = new Date('2026-11-30T08:00:00Z');
    memory.remember([card(1, 700, { status: 'frozen', pinTries: 2, lastActivityAt: at })]);
    expect(memory.get(1)).toMatchObject({ status: 'frozen', pinTries: 2, lastActivityAt: at, accounts: [{ asset: 'CNY', balance: 700, held: 0 }] });
  });

  it('forgets the least recently remembered card beyond its bound, and a card without accounts', () => {
    const memory = new CardMemory(2);
    memory.remember([card(1, 1), card(2, 2)]);
    memory.remember([card(1, 10)]); // 1 is now the most recent
    memory.remember([card(3, 3)]);
    expect([memory.get(1)?.accounts[0]?.balance, memory.get(2), memory.get(3)?.accounts[0]?.balance]).toEqual([10, undefined, 3]);
    const bare = card(4, 0);
    bare.accounts.clear();
    memory.remember([bare]);
    expect(memory.get(4)).toBeUndefined();
  });
});
