import crypto from 'node:crypto';

/**
 * DES primitives of design §5b. OpenSSL 3 has no plain `des-ecb`: single DES is `des-ede-ecb`
 * with K‖K (EDE with equal halves is one DES).
 */
const full = (key: Buffer): Buffer => (key.length === 8 ? Buffer.concat([key, key]) : key);

function ecb(decrypt: boolean, key: Buffer, data: Buffer): Buffer {
  const alg = key.length === 24 ? 'des-ede3-ecb' : 'des-ede-ecb';
  const c = decrypt ? crypto.createDecipheriv(alg, full(key), null) : crypto.createCipheriv(alg, full(key), null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** DES/3DES-ECB encryption (key of 8, 16 or 24 bytes; data a multiple of 8 bytes). */
export const encryptEcb = (key: Buffer, data: Buffer): Buffer => ecb(false, key, data);
/** DES/3DES-ECB decryption. */
export const decryptEcb = (key: Buffer, data: Buffer): Buffer => ecb(true, key, data);

/** A key's check value: the first 4 bytes of its encryption of 8 zero bytes. */
export function checkValue(key: Buffer): Buffer {
  return encryptEcb(key, Buffer.alloc(8)).subarray(0, 4);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

function padZero(data: Buffer): Buffer {
  const pad = (8 - (data.length % 8)) % 8;
  return pad ? Buffer.concat([data, Buffer.alloc(pad)]) : data;
}

/**
 * The CUP POS "ECB" MAC over the MAB (MTI … the byte before DE64, bit 64 set): XOR the
 * zero-padded 8-byte blocks; uppercase hex; encrypt the first 8 characters with the MAK, XOR
 * with the last 8, encrypt again; DE64 = the ASCII of the first 8 uppercase hex characters.
 */
export function cupMac(mak: Buffer, mab: Buffer): Buffer {
  const data = padZero(mab);
  let r: Buffer = Buffer.alloc(8);
  for (let i = 0; i < data.length; i += 8) r = xor(r, data.subarray(i, i + 8));
  const h = Buffer.from(r.toString('hex').toUpperCase(), 'latin1');
  const e1 = encryptEcb(mak, h.subarray(0, 8));
  const e2 = encryptEcb(mak, xor(e1, h.subarray(8, 16)));
  return Buffer.from(e2.toString('hex').toUpperCase().slice(0, 8), 'latin1');
}

/**
 * ANSI X9.19 retail MAC (the per-terminal option): CBC single DES with the key's left half over
 * the zero-padded MAB, then decrypt with the right half and encrypt with the left; 8 raw bytes.
 * A single-length key gives X9.9 (CBC-DES).
 */
export function x919Mac(mak: Buffer, mab: Buffer): Buffer {
  const data = padZero(mab);
  const left = mak.subarray(0, 8);
  let r: Buffer = Buffer.alloc(8);
  for (let i = 0; i < data.length; i += 8) r = encryptEcb(left, xor(r, data.subarray(i, i + 8)));
  if (mak.length === 16) r = encryptEcb(left, decryptEcb(mak.subarray(8, 16), r));
  return r;
}

/** The MAC of a MAB with the terminal's algorithm. */
export function mac(alg: 'cup' | 'x919', mak: Buffer, mab: Buffer): Buffer {
  return alg === 'cup' ? cupMac(mak, mab) : x919Mac(mak, mab);
}

/** Constant-time comparison of two MACs. */
export function macEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** The PAN block of ANSI X9.8 format 0: 0000 + the 12 rightmost digits of the PAN without its check digit. */
function panBlock(pan: string): Buffer {
  return Buffer.from(`0000${pan.slice(0, -1).slice(-12).padStart(12, '0')}`, 'hex');
}

/**
 * The PIN of an ANSI X9.8 format-0 PIN block encrypted under the PIK (3DES), or null when the
 * block does not decode (bad length nibble or filler): checked like any wrong PIN then.
 */
export function decodePinBlock(pik: Buffer, block: Buffer, pan: string): string | null {
  const clear = xor(decryptEcb(pik, block), panBlock(pan)).toString('hex').toUpperCase();
  const n = parseInt(clear[1]!, 16);
  if (clear[0] !== '0' || n < 4 || n > 12) return null;
  const pin = clear.slice(2, 2 + n);
  return /^\d+$/.test(pin) && /^F*$/.test(clear.slice(2 + n)) ? pin : null;
}

/** An ANSI X9.8 format-0 PIN block under the PIK (the terminal side: simulator and tests). */
export function encodePinBlock(pik: Buffer, pin: string, pan: string): Buffer {
  const clear = Buffer.from(`0${pin.length.toString(16)}${pin}`.padEnd(16, 'F'), 'hex');
  return encryptEcb(pik, xor(clear, panBlock(pan)));
}
