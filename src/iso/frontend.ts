import type { Context } from '../context.js';
import type { Logger } from '../logger.js';
import type { TransactionCore } from '../daemon/core.js';
import { text, pack, type IsoMessage } from './codec.js';
import { mac, macEqual } from './crypto.js';
import { baseMti, field60 } from './messages.js';
import { answerOf } from './render.js';
import { signOff, signOn, terminalKeys, type TerminalKeys } from './terminal-keys.js';
import { keepUpload, parseTotals, renderTotals, settleBatch } from './batches.js';
import { financial, type Sender } from './financial.js';

/** An answer and the header's processing requirement (0 none, 3 sign on again); null answer = send nothing. */
export interface Outcome { answer: IsoMessage | null; requirement: number }

const KEYS_TTL_MS = 1_000;

/** MTIs whose requests and answers carry DE64 (design §5b); 0500 and 0320 when the request had one. */
const MAC_REQUIRED = new Set(['0100', '0200', '0220', '0400', '0420']);

/** The MAB of a message: its packed bytes from the MTI to the byte before DE64 (bit 64 set). */
export function macBlock(m: IsoMessage): Buffer {
  const withMac = { mti: m.mti, fields: new Map(m.fields).set(64, Buffer.alloc(8)) };
  const packed = pack(withMac);
  return packed.subarray(0, packed.length - 8);
}

/** Sets DE64 of a message with a terminal's MAK. */
export function sign(m: IsoMessage, alg: TerminalKeys['macAlg'], mak: Buffer): IsoMessage {
  m.fields.set(64, mac(alg, mak, macBlock(m)));
  return m;
}

/** The ISO front end of one listener: a channel's traffic into the transaction core. */
export class IsoFrontEnd {
  private schemes = new Map<number, string | null>();
  /**
   * Terminal keys read in the last KEYS_TTL_MS. A sign-on, sign-off or settlement in this process
   * drops its entry; one in another daemon is seen within the TTL, and a MAC failure or a missing
   * session is always re-read from the database before it is answered.
   */
  private keys = new Map<number, { at: number; keys: TerminalKeys | null }>();

  constructor(private readonly ctx: Context, private readonly core: TransactionCore, private readonly channelCode: string) {}

  private async earnScheme(id: number | null): Promise<string | null> {
    if (id === null) return null;
    if (!this.schemes.has(id)) {
      if (this.schemes.size >= 1000) this.schemes.clear(); // bounded: scheme codes never change, re-reading is cheap
      const { rows } = await this.ctx.db.pg.query<{ code: string }>('select code from schemes where id = $1', [id]);
      this.schemes.set(id, rows[0]?.code ?? null);
    }
    return this.schemes.get(id)!;
  }

  private async terminalKeys(terminalId: number, fresh = false): Promise<TerminalKeys | null> {
    const hit = this.keys.get(terminalId);
    const now = performance.now();
    if (!fresh && hit && now - hit.at < KEYS_TTL_MS) return hit.keys;
    if (this.keys.size >= 10_000) this.keys.clear();
    const keys = await terminalKeys(this.ctx.db.pg, this.ctx.keys, terminalId);
    this.keys.set(terminalId, { at: now, keys });
    return keys;
  }

  /** The merchant and terminal of DE42/DE41, or null when unknown, foreign or not this channel's (58). */
  private async sender(req: IsoMessage): Promise<Sender | null> {
    const channel = await this.core.registry.channel(this.channelCode);
    const merchantCode = (text(req, 42) ?? '').trim();
    const terminalCode = (text(req, 41) ?? '').trim();
    if (!channel || !merchantCode || !terminalCode) return null;
    const merchant = await this.core.registry.merchant(merchantCode);
    const terminalId = merchant?.terminals.get(terminalCode);
    if (!merchant || terminalId === undefined || !channel.merchantIds.has(merchant.id)) return null;
    return { channel, merchant: merchantCode, terminal: terminalCode, terminalId, earnScheme: await this.earnScheme(merchant.earnSchemeId) };
  }

  /**
   * Answers one request: 58 for an unknown terminal, sign-on/sign-off/echo, 77 (sign on again)
   * before sign-on or on a batch mismatch, A0 on a bad or missing MAC (nothing processed), then
   * settlement, batch upload or a financial request. Answers to requests carrying a MAC are MACed
   * (except A0, 77 and 58).
   */
  async handle(req: IsoMessage, log: Logger): Promise<Outcome> {
    const now = this.ctx.clock.now();
    const plain = (code: string, requirement = 0): Outcome => ({ answer: answerOf(req, code, now, this.ctx.calendar, this.ctx.config.isoAcquirer), requirement });
    const who = await this.sender(req);
    if (!who) return plain('58');
    const mti = baseMti(req.mti);
    const f60 = field60(req);
    const network = mti === '0800' || mti === '0820' || mti === '0500';
    let keys = await this.terminalKeys(who.terminalId, network);
    if (!keys) return plain('58'); // no TMK loaded: the terminal cannot be keyed
    if (network) this.keys.delete(who.terminalId); // its keys or batch change now
    if (mti === '0800') {
      if (!['001', '003', '004'].includes(f60.network)) return plain('12');
      const { de62, batch } = await signOn(this.ctx, who.terminalId, keys.tmk, f60.network !== '001');
      const out = plain('00');
      out.answer!.fields.set(60, `${f60.type || '00'}${String(batch).padStart(6, '0')}${f60.network}`);
      out.answer!.fields.set(62, de62);
      log.info({ batch }, 'ISO terminal signed on');
      return out;
    }
    if (mti === '0820') {
      if (f60.network === '002') await signOff(this.ctx, who.terminalId);
      else if (f60.network !== '301') return plain('12');
      return plain('00');
    }
    const macSent = req.fields.get(64);
    const macDue = MAC_REQUIRED.has(mti) || macSent !== undefined;
    const macOk = (k: TerminalKeys) => !macDue || (Buffer.isBuffer(macSent) && k.mak !== null && macEqual(macSent, mac(k.macAlg, k.mak, macBlock(req))));
    if (!keys.mak || !macOk(keys) || Number(f60.batch) !== keys.batch) {
      const fresh = await this.terminalKeys(who.terminalId, true);
      if (!fresh) return plain('58');
      keys = fresh;
    }
    if (!keys.mak) return plain('77', 3);
    if (!macOk(keys)) {
      log.warn('ISO request with a bad or missing MAC: A0, nothing processed');
      return plain('A0');
    }
    const signed = (o: Outcome): Outcome => (o.answer && macDue && !['A0', '77'].includes(text(o.answer, 39) ?? '') ? { ...o, answer: sign(o.answer, keys.macAlg, keys.mak!) } : o);
    const batch = Number(f60.batch);
    if (mti === '0320') {
      if (!/^\d{6}$/.test(f60.batch) || batch > keys.batch) return plain('77', 3);
      await keepUpload(this.ctx, who.terminalId, batch, Number(text(req, 11) ?? 0), f60.network, text(req, 48) ?? '');
      return signed(plain('00'));
    }
    if (!/^\d{6}$/.test(f60.batch) || batch !== keys.batch) {
      // A repeated 0500 after its batch closed (lost 0510) is answered from the stored result below.
      if (!(mti === '0500' && batch < keys.batch)) return plain('77', 3);
    }
    if (mti === '0500') {
      const totals = parseTotals(text(req, 48) ?? '');
      if (!totals) return signed(plain('30'));
      const code = await settleBatch(this.ctx, who.channel.id, who.terminalId, batch, totals);
      const out = plain('00');
      out.answer!.fields.set(48, renderTotals(totals, code));
      log.info({ batch, reconciliation: code }, 'ISO terminal batch settled');
      return signed(out);
    }
    const answer = await financial({ ctx: this.ctx, core: this.core, log, acquirer: this.ctx.config.isoAcquirer }, who, keys, req);
    return signed({ answer, requirement: 0 });
  }
}
