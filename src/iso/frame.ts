/**
 * Framing of design §5b: `LEN(2, big-endian, bytes after LEN) | TPDU(5) | header(6) | MTI…`.
 * A frame of only a TPDU is a keep-alive.
 */

/** A frame body after LEN: TPDU, header and the message (MTI…end), or a keep-alive. */
export type Frame = { keepAlive: true; tpdu: Buffer } | { keepAlive: false; tpdu: Buffer; header: Buffer; body: Buffer };

/** A frame that cannot be read: the connection is closed. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** Largest LEN accepted: every field at its maximum stays well below it. */
export const MAX_FRAME = 4096;

/**
 * Splits a TCP byte stream into frames. `push` returns the complete frame payloads (after LEN)
 * received so far; a partial frame waits for more bytes.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[] = [];
    while (this.buf.length >= 2) {
      const len = this.buf.readUInt16BE(0);
      if (len > MAX_FRAME || len < 5) throw new FrameError(`frame length ${len} outside 5–${MAX_FRAME}`);
      if (this.buf.length < 2 + len) break;
      out.push(this.buf.subarray(2, 2 + len));
      this.buf = this.buf.subarray(2 + len);
    }
    return out;
  }

  get pending(): number {
    return this.buf.length;
  }
}

/** Reads a frame payload (after LEN): TPDU id 0x60, then header and message, or a bare TPDU (keep-alive). */
export function parseFrame(payload: Buffer): Frame {
  if (payload[0] !== 0x60) throw new FrameError('TPDU id is not 0x60');
  const tpdu = payload.subarray(0, 5);
  if (payload.length === 5) return { keepAlive: true, tpdu };
  if (payload.length < 5 + 6 + 10) throw new FrameError('frame shorter than TPDU, header, MTI and bitmap');
  return { keepAlive: false, tpdu, header: payload.subarray(5, 11), body: payload.subarray(11) };
}

/** The answer's TPDU: destination and source swapped. */
export function swapTpdu(tpdu: Buffer): Buffer {
  return Buffer.concat([tpdu.subarray(0, 1), tpdu.subarray(3, 5), tpdu.subarray(1, 3)]);
}

/** The header echoed, with the host's processing requirement (0 none, 3 sign on again) in byte 3's low nibble. */
export function answerHeader(header: Buffer, requirement: number): Buffer {
  const h = Buffer.from(header);
  h[2] = (h[2]! & 0xf0) | (requirement & 0x0f);
  return h;
}

/** LEN | TPDU | header | body. */
export function buildFrame(tpdu: Buffer, header: Buffer, body: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(tpdu.length + header.length + body.length);
  return Buffer.concat([len, tpdu, header, body]);
}
