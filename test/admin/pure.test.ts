import { describe, expect, it } from 'vitest';
import { duplicateKey } from '../../src/admin/json.js';
import { masked } from '../../src/admin/audit.js';
import { luhnCheckDigit } from '../../src/cards/luhn.js';
import { inScope, type Principal } from '../../src/admin/roles.js';
import { decodeCursor, encodeCursor } from '../../src/admin/schema.js';

describe('duplicate JSON keys', () => {
  it.each([
    ['{"a":1,"b":2}', null],
    ['{"a":1,"a":2}', 'a'],
    ['{"a":{"b":1},"c":{"b":2}}', null],
    ['{"a":{"b":1,"b":2}}', 'b'],
    ['{"a":"x\\",\\"a\\":1"}', null],
    ['[{"a":1},{"a":2}]', null],
    ['{"a" : 1, "a" : 2}', 'a'],
  ])('%s → %s', (text, dup) => expect(duplicateKey(text)).toBe(dup));
});

describe('audit masking', () => {
  it('masks secret and personal fields whole and card numbers anywhere', () => {
    const pan = `622202000000000${luhnCheckDigit('622202000000000')}`;
    expect(masked({ username: 'ann', password: 'pw', new_password: 'pw2', token: 't', secret: 's', mobile: '13800000000', card_id: 7,
      note: `card ${pan} lost`, nested: [{ tmk: 'k' }] })).toEqual({
      username: 'ann', password: '***', new_password: '***', token: '***', secret: '***', mobile: '***', card_id: 7,
      note: `card 622202******${pan.slice(-4)} lost`, nested: [{ tmk: '***' }],
    });
  });
});

describe('scope', () => {
  const p = (role: Principal['role'], merchantId: number | null = null, issuerId: number | null = null, holderId: number | null = null): Principal =>
    ({ operatorId: 1, username: 'u', role, merchantId, issuerId, sessionId: 1, holderId });
  it.each([
    [p('platform_admin'), { merchantId: 2 }, true],
    [p('finance'), { issuerId: 3 }, true],
    [p('merchant_admin', 2), { merchantId: 2 }, true],
    [p('merchant_operator', 2), { merchantId: 3 }, false],
    [p('merchant_admin', 2), { issuerId: 2 }, false],
    [p('issuer_ops', null, 3), { issuerId: 3 }, true],
    [p('issuer_ops', null, 3), { issuerId: null }, false],
    [p('issuer_ops', null, 3), { issuerIds: [1, 3] }, true],
    [p('issuer_ops', null, 3), { issuerIds: [] }, false],
    [p('cardholder', null, null, 5), { holderId: 5, issuerId: 1 }, true],
    [p('cardholder', null, null, 5), { holderId: 6 }, false],
    [p('cardholder', null, null, 5), { holderId: null }, false],
    [p('cardholder', null, null, 5), { merchantId: 1 }, false],
  ])('%# %o sees %o: %s', (who, owner, ok) => expect(inScope(who, owner)).toBe(ok));
});

describe('cursors', () => {
  it('round-trip and refuse what the API did not issue', () => {
    expect(decodeCursor(encodeCursor(42))).toBe(42);
    expect(decodeCursor(undefined)).toBeNull();
    expect(() => decodeCursor('not-a-cursor')).toThrow(/cursor/);
  });
});
