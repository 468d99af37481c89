import { FIELDS, type FieldDef } from './fields.js';

/** A field value: digits/characters for n, z and a fields, bytes for b fields. */
export type FieldValue = string | Buffer;

/** One ISO 8583 message: MTI (4 digits) and its data elements by number. */
export interface IsoMessage {
  mti: string;
  fields: Map<number, FieldValue>;
}

/** A message that cannot be packed or unpacked. The message names the field, never its content. */
export class IsoFormatError extends Error {
  constructor(message: string, readonly field?: number) {
    super(message);
    this.name = 'IsoFormatError';
  }
}

const bcdLen = (n: number, digits: number): Buffer => Buffer.from(n.toString().padStart(digits, '0'), 'hex');

function packDigits(s: string, def: FieldDef, no: number): Buffer {
  const re = def.enc === 'z' ? /^[0-9=]*$/ : /^[0-9]*$/;
  if (!re.test(s)) throw new IsoFormatError(`DE${no}: not ${def.enc === 'z' ? 'track' : 'numeric'} data`, no);
  const hex = (def.enc === 'z' ? s.replaceAll('=', 'D') : s);
  return Buffer.from(hex.length % 2 ? `${hex}0` : hex, 'hex');
}

function packField(no: number, def: FieldDef, v: FieldValue): Buffer {
  let data: Buffer;
  let count: number;
  if (def.enc === 'b') {
    if (!Buffer.isBuffer(v)) throw new IsoFormatError(`DE${no}: binary field needs bytes`, no);
    data = v;
    count = v.length;
  } else {
    if (typeof v !== 'string') throw new IsoFormatError(`DE${no}: text field needs a string`, no);
    if (def.enc === 'a') {
      const s = def.prefix === 0 ? v.padEnd(def.len, ' ') : v;
      if (!/^[\x20-\x7e]*$/.test(s)) throw new IsoFormatError(`DE${no}: not printable ASCII`, no);
      data = Buffer.from(s, 'latin1');
      count = data.length;
    } else {
      if (def.prefix === 0 && v.length !== def.len) throw new IsoFormatError(`DE${no}: must be ${def.len} digits`, no);
      data = packDigits(v, def, no);
      count = v.length;
    }
  }
  if (def.prefix === 0) {
    if (def.enc !== 'n' && def.enc !== 'z' && count !== def.len) throw new IsoFormatError(`DE${no}: must be ${def.len} bytes`, no);
    return data;
  }
  if (count > def.len) throw new IsoFormatError(`DE${no}: longer than ${def.len}`, no);
  return Buffer.concat([bcdLen(count, def.prefix === 2 ? 2 : 4), data]);
}

/** Packs MTI, primary bitmap and fields (design §5b); bit 64 is set when DE64 is present (even as a placeholder). */
export function pack(msg: IsoMessage): Buffer {
  if (!/^\d{4}$/.test(msg.mti)) throw new IsoFormatError('MTI must be 4 digits');
  const bitmap = Buffer.alloc(8);
  const parts: Buffer[] = [];
  for (const no of [...msg.fields.keys()].sort((a, b) => a - b)) {
    const def = FIELDS[no];
    if (!def) throw new IsoFormatError(`DE${no} is not in the field table`, no);
    bitmap[(no - 1) >> 3]! |= 0x80 >> ((no - 1) & 7);
    parts.push(packField(no, def, msg.fields.get(no)!));
  }
  return Buffer.concat([Buffer.from(msg.mti, 'hex'), bitmap, ...parts]);
}

/** The field numbers whose bits are set in an 8-byte primary bitmap. */
export function bitmapFields(bitmap: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < 64; i++) if (bitmap[i >> 3]! & (0x80 >> (i & 7))) out.push(i + 1);
  return out;
}

function readBcdLen(buf: Buffer, at: number, bytes: number, no: number): number {
  const hex = buf.subarray(at, at + bytes).toString('hex');
  if (hex.length !== bytes * 2 || !/^\d+$/.test(hex)) throw new IsoFormatError(`DE${no}: bad length prefix`, no);
  return Number(hex);
}

/**
 * Unpacks MTI…end of a message. Throws IsoFormatError on a secondary bitmap, a field not in the
 * table, a bad length or a message shorter than its fields (never echoing field content).
 */
export function unpack(buf: Buffer): IsoMessage {
  if (buf.length < 10) throw new IsoFormatError('message shorter than MTI and bitmap');
  const mti = buf.subarray(0, 2).toString('hex');
  if (!/^\d{4}$/.test(mti)) throw new IsoFormatError('MTI is not BCD');
  const bitmap = buf.subarray(2, 10);
  if (bitmap[0]! & 0x80) throw new IsoFormatError('secondary bitmap not supported');
  const fields = new Map<number, FieldValue>();
  let at = 10;
  for (const no of bitmapFields(bitmap)) {
    const def = FIELDS[no];
    if (!def) throw new IsoFormatError(`DE${no} is not in the field table`, no);
    let count = def.len;
    if (def.prefix) {
      const lb = def.prefix === 2 ? 1 : 2;
      count = readBcdLen(buf, at, lb, no);
      at += lb;
      if (count > def.len) throw new IsoFormatError(`DE${no}: length ${count} above ${def.len}`, no);
    }
    const bytes = def.enc === 'n' || def.enc === 'z' ? Math.ceil(count / 2) : count;
    if (at + bytes > buf.length) throw new IsoFormatError(`DE${no}: message ends inside the field`, no);
    const raw = buf.subarray(at, at + bytes);
    at += bytes;
    if (def.enc === 'b') fields.set(no, Buffer.from(raw));
    else if (def.enc === 'a') fields.set(no, raw.toString('latin1'));
    else {
      const hex = raw.toString('hex').toUpperCase().slice(0, count);
      const s = def.enc === 'z' ? hex.replaceAll('D', '=') : hex;
      if (!(def.enc === 'z' ? /^[0-9=]*$/ : /^[0-9]*$/).test(s)) throw new IsoFormatError(`DE${no}: not ${def.enc === 'z' ? 'track' : 'numeric'} data`, no);
      fields.set(no, s);
    }
  }
  if (at !== buf.length) throw new IsoFormatError('bytes left after the last field');
  return { mti, fields };
}

/** A field as text (n, z, a fields), or undefined when absent. */
export function text(msg: IsoMessage, no: number): string | undefined {
  const v = msg.fields.get(no);
  return typeof v === 'string' ? v : undefined;
}

/** Fields safe to log: numbers present, with card data (DE2, 35, 36, 52, 55) and keys (DE62, 64) left out. */
export function loggable(msg: IsoMessage): { mti: string; fields: number[]; stan?: string } {
  return { mti: msg.mti, fields: [...msg.fields.keys()].sort((a, b) => a - b), stan: text(msg, 11) };
}
