import net from 'node:net';
import { pack, text, unpack, type FieldValue, type IsoMessage } from './codec.js';
import { buildFrame, FrameReader, parseFrame } from './frame.js';
import { encodePinBlock } from './crypto.js';
import { TXN_ROWS, classOf } from './messages.js';
import { sign } from './frontend.js';
import { workingKeysOf } from './terminal-keys.js';
import { answerMti } from './render.js';

const TPDU = Buffer.from('6000030000', 'hex');
const HEADER = Buffer.from('603100310208', 'hex');

/** An answer frame as received: its TPDU and header too (tests check the swap and the requirement). */
export interface Received { msg: IsoMessage; tpdu: Buffer; header: Buffer }

/**
 * The terminal side of one TCP connection (simulator, tests, bench): sends frames and matches
 * answers to requests by answer MTI, DE41, DE42 and DE11, whatever order they arrive in.
 */
export class PosConnection {
  private readonly waiting = new Map<string, (r: Received) => void>();
  private readonly reader = new FrameReader();
  /** Frames received that matched no request (tests: keep-alives must not be answered). */
  readonly unmatched: Received[] = [];
  readonly closed: Promise<void>;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (const payload of this.reader.push(chunk)) {
        const f = parseFrame(payload);
        if (f.keepAlive) continue;
        const r = { msg: unpack(f.body), tpdu: f.tpdu, header: f.header };
        const key = PosConnection.key(r.msg.mti, r.msg);
        const resolve = this.waiting.get(key);
        if (resolve) {
          this.waiting.delete(key);
          resolve(r);
        } else this.unmatched.push(r);
      }
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
  }

  private static key(mti: string, m: IsoMessage): string {
    return `${mti}|${text(m, 41)?.trim()}|${text(m, 42)?.trim()}|${text(m, 11)}`;
  }

  static connect(host: string, port: number): Promise<PosConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => resolve(new PosConnection(s)));
      s.once('error', reject);
    });
  }

  /** Sends a message and resolves with its answer (rejects after `timeoutMs`). */
  send(msg: IsoMessage, timeoutMs = 10_000): Promise<Received> {
    const key = PosConnection.key(answerMti(msg.mti), msg);
    const answered = new Promise<Received>((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`no answer to ${msg.mti} STAN ${text(msg, 11)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(key, (r) => {
        clearTimeout(t);
        resolve(r);
      });
    });
    this.raw(buildFrame(TPDU, HEADER, pack(msg)));
    return answered;
  }

  raw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.end();
  }
}

/** Options of one simulated transaction. */
export interface TxnOptions {
  card?: string; amount?: number; stan?: number; pin?: string; originalStan?: number; originalBatch?: number; rrn?: string; date?: string;
}

/** A simulated terminal (design §5b `purse pos`): its codes, TMK, working keys, batch and STAN counter. */
export class SimTerminal {
  /** The MAC algorithm the terminal is configured with (`purse terminal set-key --mac`). */
  macAlg: 'cup' | 'x919' = 'cup';
  pik: Buffer | null = null;
  /** Whether the last sign-on's working keys matched their check values (false: not the host's TMK). */
  keysChecked = false;
  mak: Buffer | null = null;
  batch = 1;
  private stan = 0;

  constructor(readonly conn: PosConnection, readonly merchant: string, readonly terminal: string, readonly tmk: Buffer) {}

  /** The next STAN sent will be `stan` (1–999999). */
  stanFrom(stan: number): void {
    this.stan = stan - 1;
  }

  nextStan(): number {
    this.stan = (this.stan % 999_999) + 1;
    return this.stan;
  }

  private base(mti: string, stan: number, extra: Record<number, FieldValue>): IsoMessage {
    const fields = new Map<number, FieldValue>([[11, String(stan).padStart(6, '0')], [41, this.terminal], [42, this.merchant]]);
    for (const [k, v] of Object.entries(extra)) fields.set(Number(k), v);
    return { mti, fields };
  }

  private f60(type: string, network: string): string {
    return `${type}${String(this.batch).padStart(6, '0')}${network}`;
  }

  /** Sign-on (60.3 = 003): keeps the working keys of DE62 and the batch of 60.2. */
  async signOn(network = '003'): Promise<IsoMessage> {
    const r = await this.conn.send(this.base('0800', this.nextStan(), { 60: this.f60('00', network), 63: '001' }));
    const de62 = r.msg.fields.get(62);
    if (text(r.msg, 39) === '00' && Buffer.isBuffer(de62)) {
      ({ pik: this.pik, mak: this.mak, checked: this.keysChecked } = workingKeysOf(this.tmk, de62));
      this.batch = Number((text(r.msg, 60) ?? '').slice(2, 8));
    }
    return r.msg;
  }

  /** A network message: 002 sign-off, 301 echo. */
  async network(code: '002' | '301'): Promise<IsoMessage> {
    return (await this.conn.send(this.base('0820', this.nextStan(), { 60: this.f60('00', code) }))).msg;
  }

  /** Builds (unsigned) a financial request of the message table by name (purchase, void, …). */
  request(name: string, o: TxnOptions = {}): IsoMessage {
    const row = TXN_ROWS.find((r) => r.name === name);
    if (!row) throw new Error(`unknown transaction ${name}`);
    const f: Record<number, FieldValue> = { 3: row.de3, 22: o.pin ? '021' : '022', 25: row.de25, 49: '156', 60: this.f60(row.f601, '000') };
    if (o.card) f[2] = o.card;
    if (o.amount !== undefined) f[4] = String(o.amount).padStart(12, '0');
    if (o.pin && o.card && this.pik) {
      f[52] = encodePinBlock(this.pik, o.pin, o.card);
      // DE53 security control: PIN block format 0 (2), double-length key (6), the rest zero
      f[53] = '26'.padEnd(16, '0');
    }
    if (o.originalStan !== undefined) f[61] = `${String(o.originalBatch ?? this.batch).padStart(6, '0')}${String(o.originalStan).padStart(6, '0')}${o.date ?? ''}`;
    if (o.rrn) f[37] = o.rrn;
    return this.base(row.mti, o.stan ?? this.nextStan(), f);
  }

  /** The reversal (0400) of a request: same DE3, 4, 11, 25, 60 (and card), DE39 = reason. */
  reversalOf(original: IsoMessage, reason = '98'): IsoMessage {
    const fields = new Map(original.fields);
    fields.delete(52);
    fields.delete(53);
    fields.delete(64);
    fields.set(39, reason);
    return { mti: '0400', fields };
  }

  /** Settlement (0500) with the terminal's totals in DE48. */
  settlement(debitAmount: number, debitCount: number, creditAmount: number, creditCount: number): IsoMessage {
    const n = (v: number, w: number) => String(v).padStart(w, '0');
    return this.base('0500', this.nextStan(), { 48: `${n(debitAmount, 12)}${n(debitCount, 3)}${n(creditAmount, 12)}${n(creditCount, 3)}0`, 49: '156', 60: this.f60('00', '201'), 63: '001' });
  }

  /** A batch upload (0320) with a DE48 detail. */
  upload(de48: string, network = '201'): IsoMessage {
    return this.base('0320', this.nextStan(), { 48: de48, 60: this.f60('00', network) });
  }

  /** Signs (DE64) with the working MAK and sends; resolves with the decoded answer. */
  async send(m: IsoMessage, opts: { mac?: boolean; timeoutMs?: number } = {}): Promise<IsoMessage> {
    if (opts.mac !== false && this.mak) sign(m, this.macAlg, this.mak);
    return (await this.conn.send(m, opts.timeoutMs)).msg;
  }
}

/** The class of a named row (tests). */
export const classOfName = (name: string): string => classOf(TXN_ROWS.find((r) => r.name === name)!);
