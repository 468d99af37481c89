import { describe, expect, it } from 'vitest';
import { luhnCheckDigit, luhnValid, maskPan, scrubPans } from '../../src/cards/luhn.js';

describe('luhn', () => {
  it('accepts known valid numbers and refuses altered ones', () => {
    for (const pan of ['4111111111111111', '5500005555555559', '378282246310005', '6011000990139424', '79927398713']) {
      expect(luhnValid(pan)).toBe(true);
      const altered = pan.slice(0, -1) + String((Number(pan.at(-1)) + 1) % 10);
      expect(luhnValid(altered)).toBe(false);
    }
  });

  it('refuses anything that is not only digits', () => {
    for (const s of ['', '4111 1111 1111 1111', '411111111111111a', '-4111111111111111', '４１１１']) expect(luhnValid(s)).toBe(false);
  });

  it('computes the check digit that makes a body valid', () => {
    expect(luhnCheckDigit('411111111111111')).toBe(1);
    expect(luhnCheckDigit('7992739871')).toBe(3);
    for (const body of ['0', '62345600000000', '622000123456789012']) expect(luhnValid(body + String(luhnCheckDigit(body)))).toBe(true);
  });

  it('masks a PAN to its first 6 and last 4 digits', () => {
    expect(maskPan('4111111111111111')).toBe('411111******1111');
    expect(maskPan('6220001234567890123')).toBe('622000*********0123');
    expect(maskPan('123456')).toBe('******');
  });

  it('scrubs every Luhn-valid 13-19 digit run and leaves other numbers alone', () => {
    const text = 'card 4111111111111111 paid order 4111111111111112 ref 123456 at 2026-03-10, other 378282246310005.';
    expect(scrubPans(text)).toBe('card 411111******1111 paid order 4111111111111112 ref 123456 at 2026-03-10, other 378282*****0005.');
    expect(scrubPans('{"card":"6011000990139424"}')).toBe('{"card":"601100******9424"}');
    expect(scrubPans('79927398713')).toBe('79927398713'); // 11 digits: not a card number
  });
});
