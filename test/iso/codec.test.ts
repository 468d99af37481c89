import { describe, expect, it } from 'vitest';
import { bitmapFields, IsoFormatError, pack, unpack, type IsoMessage } from '../../src/iso/codec.js';
import { buildFrame, FrameReader, parseFrame, swapTpdu, answerHeader } from '../../src/iso/frame.js';
import { checkValue, cupMac, decodePinBlock, decryptEcb, encodePinBlock, encryptEcb, x919Mac } from '../../src/iso/crypto.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const msg = (mti: string, f: Record<number, string | Buffer>): IsoMessage => ({ mti, fields: new Map(Object.entries(f).map(([k, v]) => [Number(k), v])) });

// Design §5b vector (2): a host's 0200 with MAK 0723C80DB5F4CD3D.
const FRAME2 = hex(`007f60000300006032103200720200302004800 0c080150000000000000012340000020300993030303030303031393532373138313832323137383735313536001926000001000600000000
  00435f0112323834343132333435363738393031323334 5f0306313630303336 5f0406323030383236 5c023031 4233413039324145`);

describe('published bitmaps decode to their field lists', () => {
  it.each([
    ['0020000000C00012', [11, 41, 42, 60, 63]],
    ['302004C020C09811', [3, 4, 11, 22, 25, 26, 35, 41, 42, 49, 52, 53, 60, 64]],
    ['3020068022C08219', [3, 4, 11, 22, 23, 25, 35, 39, 41, 42, 49, 55, 60, 61, 64]],
    ['7020068028C08019', [2, 3, 4, 11, 22, 23, 25, 35, 37, 41, 42, 49, 60, 61, 64]],
  ])('%s', (bm, fields) => {
    expect(bitmapFields(hex(bm))).toEqual(fields);
  });
});

describe('pack and unpack with golden bytes', () => {
  it('a sign-on 0800 packs to the published bitmap and exact field bytes', () => {
    const m = msg('0800', { 11: '000123', 41: 'T1', 42: 'M1', 60: '00000001003', 63: '001' });
    const b = pack(m);
    expect(b.toString('hex').toUpperCase()).toBe(
      '0800' + '0020000000C00012' + '000123' + '5431202020202020' + '4D3120202020202020202020202020' + '0011' + '000000010030' + '0003' + '303031');
    const back = unpack(b);
    expect(back.mti).toBe('0800');
    expect(back.fields.get(41)).toBe('T1      ');
    expect(back.fields.get(60)).toBe('00000001003');
  });

  it('a swipe sale: BCD amount, n3 left-aligned, track 2 with = as nibble D, LLVAR odd length, binary PIN block', () => {
    const m = msg('0200', {
      3: '000000', 4: '000000001234', 11: '000002', 22: '021', 25: '00', 26: '12', 35: '6234560000000000003=2912101', 41: 'T1', 42: 'M1',
      49: '156', 52: hex('0102030405060708'), 53: '2600000000000000', 60: '22000001', 64: Buffer.alloc(8),
    });
    const b = pack(m);
    expect(b.subarray(2, 10).toString('hex').toUpperCase()).toBe('302004C020C09811');
    expect(b.subarray(10, 26).toString('hex').toUpperCase()).toBe('000000' + '000000001234' + '000002' + '0210' + '00' + '12');
    // DE35: 27 digits → LL 0x27, 14 bytes, trailing 0 nibble; '=' → D
    expect(b.subarray(26, 41).toString('hex').toUpperCase()).toBe('276234560000000000003D29121010');
    expect(unpack(b).fields.get(35)).toBe('6234560000000000003=2912101');
    expect(unpack(b).fields.get(22)).toBe('021');
  });

  it('an IC refund with DE2 (19 digits), DE37, DE61 and a 0200 reversal round-trip', () => {
    const refund = msg('0220', {
      2: '6234560000000000003', 3: '200000', 4: '000000000500', 11: '000010', 22: '051', 23: '001', 25: '00', 35: '6234560000000000003=29121', 37: '000000000017',
      41: 'T1', 42: 'M1', 49: '156', 60: '25000001', 61: '0000010000050101', 64: Buffer.alloc(8),
    });
    const b = pack(refund);
    expect(b.subarray(2, 10).toString('hex').toUpperCase()).toBe('7020068028C08019');
    expect(b.subarray(10, 21).toString('hex').toUpperCase()).toBe('196234560000000000003' + '0');
    const back = unpack(b);
    expect(Object.fromEntries(back.fields)).toEqual({ ...Object.fromEntries(refund.fields), 41: 'T1      ', 42: 'M1             ' });
    const rev = msg('0400', { 3: '000000', 4: '000000000100', 11: '000011', 22: '051', 23: '001', 25: '00', 35: '6234560000000000003=29121', 39: '98', 41: 'T1', 42: 'M1', 49: '156', 55: hex('9F2608AABBCCDD'), 60: '22000001', 61: '000001000005', 64: Buffer.alloc(8) });
    expect(pack(rev).subarray(2, 10).toString('hex').toUpperCase()).toBe('3020068022C08219');
  });

  it('refuses what it cannot read, naming the field and not its content', () => {
    expect(() => unpack(hex('0200 8000000000000000'))).toThrow(IsoFormatError);
    expect(() => unpack(hex('0200 4000000000000000 16 6234'))).toThrow(/DE2: message ends inside the field/);
    expect(() => unpack(hex('0200 2000000000000000 000000 00'))).toThrow(/bytes left/);
    expect(() => unpack(hex('0200 0000000000000001 0102'))).toThrow(/DE64/);
    expect(() => pack(msg('0200', { 4: '12' }))).toThrow(/DE4: must be 12 digits/);
    expect(() => pack(msg('0200', { 2: '12A4' }))).toThrow(/DE2: not numeric/);
    try {
      unpack(hex('0200 4000000000000000 1962345600000000000'));
    } catch (e) {
      expect(String(e)).not.toContain('623456');
    }
  });
});

describe('framing', () => {
  it('splits a stream into frames whatever the chunking; keep-alive is a bare TPDU', () => {
    const r = new FrameReader();
    const ka = hex('00056000000000');
    const all = Buffer.concat([ka, FRAME2, ka]);
    const out: Buffer[] = [];
    for (let i = 0; i < all.length; i += 7) out.push(...r.push(all.subarray(i, i + 7)));
    expect(out.map((p) => p.length)).toEqual([5, 0x7f, 5]);
    expect(parseFrame(out[0]!).keepAlive).toBe(true);
    const f = parseFrame(out[1]!);
    expect(f.keepAlive).toBe(false);
    if (!f.keepAlive) {
      expect(f.tpdu.toString('hex')).toBe('6000030000');
      expect(f.header.toString('hex')).toBe('603210320072');
      expect(unpack(f.body).mti).toBe('0200');
      expect(buildFrame(f.tpdu, f.header, f.body)).toEqual(FRAME2);
    }
    expect(r.pending).toBe(0);
  });

  it('swaps the TPDU addresses and sets the processing requirement in the header', () => {
    expect(swapTpdu(hex('6000030012')).toString('hex')).toBe('6000120003');
    expect(answerHeader(hex('603110315046'), 3).toString('hex')).toBe('603113315046');
    expect(() => new FrameReader().push(hex('ffff'))).toThrow(/frame length/);
  });
});

describe('keys, MAC and PIN (design §5b vectors)', () => {
  it('(1) the TMK decrypts the published working key', () => {
    expect(decryptEcb(hex('70F2A84CCBC2AE8625CBB0F2C22AB923'), hex('96D605EA176B7E9E')).toString('hex').toUpperCase()).toBe('C24A8FB57AA20123');
  });

  it('(2) the CUP ECB MAC of the published 0200 is B3A092AE', () => {
    const f = parseFrame(FRAME2.subarray(2));
    if (f.keepAlive) throw new Error('not a message');
    const m = unpack(f.body);
    expect([...m.fields.keys()]).toEqual(bitmapFields(hex('3020048000C08015')));
    expect(m.fields.get(4)).toBe('000000001234');
    expect((m.fields.get(64) as Buffer).toString('latin1')).toBe('B3A092AE');
    const mab = f.body.subarray(0, f.body.length - 8);
    expect(cupMac(hex('0723C80DB5F4CD3D'), mab).toString('latin1')).toBe('B3A092AE');
    expect(pack(m)).toEqual(f.body);
  });

  it('check values are the first 4 bytes of the key encrypting zeros (single and double length)', () => {
    const k = hex('0723C80DB5F4CD3D');
    expect(checkValue(k)).toEqual(encryptEcb(k, Buffer.alloc(8)).subarray(0, 4));
    expect(checkValue(Buffer.concat([k, k]))).toEqual(checkValue(k));
  });

  it('X9.19 with a single-length key is CBC-DES; with a double-length key it differs', () => {
    const k = hex('0123456789ABCDEF');
    const data = Buffer.from('Now is the time for all ', 'latin1');
    // ANSI X9.9 published test: key 0123456789ABCDEF, "Now is the time for all " → 70A30640CC76DD8B
    expect(x919Mac(k, data).toString('hex').toUpperCase()).toBe('70A30640CC76DD8B');
    expect(x919Mac(hex('0123456789ABCDEFFEDCBA9876543210'), data)).not.toEqual(x919Mac(k, data));
  });

  it('a format-0 PIN block under the PIK round-trips; a tampered block decodes to nothing', () => {
    const pik = hex('C24A8FB57AA201230723C80DB5F4CD3D');
    const pan = '6234567890123456786';
    const block = encodePinBlock(pik, '123456', pan);
    expect(decodePinBlock(pik, block, pan)).toBe('123456');
    const clear = decryptEcb(pik, block);
    expect(clear.toString('hex').toUpperCase()).not.toContain('123456'); // XORed with the PAN block
    expect(decodePinBlock(pik, encryptEcb(pik, hex('FFFFFFFFFFFFFFFF')), pan)).toBeNull();
    const single = hex('0723C80DB5F4CD3D'); // a single-length PIK (sign-on 60.3 = 001)
    expect(decodePinBlock(single, encodePinBlock(single, '2468', pan), pan)).toBe('2468');
    expect(decodePinBlock(pik, encodePinBlock(single, '2468', pan), pan)).not.toBe('2468');
  });
});
