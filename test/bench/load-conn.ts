// The load generator's HTTP client (test/bench/auth-load.ts): one keep-alive connection with one
// request in flight, on a bare net.Socket (node:http's client costs several times the CPU per request).
import net from 'node:net';

/** One request, serialized: request line, headers and signed body in one buffer. */
export type Signed = Buffer;

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length: *(\d+)/i;

/**
 * A keep-alive connection with one request in flight. The answer is classified as 'ok' (200 and
 * approved), `code_<DE39>`, `http_<status>` or `error_<code>`; the daemon always sends
 * Content-Length.
 */
export class Conn {
  private readonly sock: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private done: ((kind: string) => void) | null = null;
  dead = false;

  constructor(url: URL) {
    this.sock = net.connect({ host: url.hostname, port: Number(url.port), noDelay: true });
    this.sock.on('data', (chunk: Buffer) => this.read(chunk));
    const fail = (why: string) => {
      this.dead = true;
      const d = this.done;
      this.done = null;
      d?.(why);
    };
    this.sock.on('error', (err: NodeJS.ErrnoException) => fail(`error_${err.code ?? 'socket'}`));
    this.sock.on('close', () => fail('error_closed'));
  }

  send(req: Signed): Promise<string> {
    if (this.dead) return Promise.resolve('error_closed');
    return new Promise((resolve) => {
      this.done = resolve;
      this.sock.write(req);
    });
  }

  close(): void {
    this.dead = true;
    this.sock.destroy();
  }

  private read(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const end = this.buf.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.buf.toString('latin1', 0, end);
    const m = CONTENT_LENGTH.exec(head);
    const total = end + 4 + (m ? Number(m[1]) : 0);
    if (this.buf.length < total) return;
    const status = head.slice(9, 12);
    const body = this.buf.toString('latin1', end + 4, total);
    this.buf = this.buf.subarray(total);
    let kind = `http_${status}`;
    if (status === '200') {
      if (body.includes('"approved":true')) kind = 'ok';
      else kind = `code_${/"response_code":"(\d\d)"/.exec(body)?.[1] ?? '??'}`;
    }
    const d = this.done;
    this.done = null;
    d?.(kind);
  }
}
