/** One physical line of an input file. */
export interface Line {
  /** 1-based line number. */
  no: number;
  /** The line without its LF or CRLF, decoded (UTF-8 unless told otherwise); null when it was longer than the limit. */
  text: string | null;
  /** True for a last line that ended without its LF: the file was cut short (or is still being written). */
  unterminated?: true;
}

/** Turns the bytes of one line (without its line ending) into text. */
export type LineDecoder = (bytes: Buffer) => string;

const utf8: LineDecoder = (bytes) => bytes.toString('utf8');

const LF = 0x0a;
const CR = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Splits a byte stream into lines of at most `maxBytes` bytes each, yielding them in batches (one
 * batch per input chunk, so a million lines do not cost a million promise turns). A longer line is
 * yielded with `text: null` and its bytes are skipped without being kept, so memory stays bounded
 * by one chunk plus `maxBytes` whatever the input holds (a 10 MB line, no newline at all). A UTF-8
 * byte-order mark at the start is dropped. A last line without its LF is yielded with
 * `unterminated: true`, so a caller can refuse a file read while it was still being written.
 * Lines are split on the LF byte before decoding, which is safe for UTF-8 and GBK alike (neither
 * uses 0x0A inside a multi-byte character).
 */
export async function* readLines(input: AsyncIterable<Buffer | string>, maxBytes: number, decode: LineDecoder = utf8): AsyncGenerator<Line[]> {
  let no = 1;
  let parts: Buffer[] = [];
  let partLen = 0;
  let tooLong = false;
  let first = true;
  const finish = (tail: Buffer | null): Line => {
    let text: string | null = null;
    if (!tooLong) {
      let buf = tail ?? Buffer.alloc(0);
      if (parts.length) buf = Buffer.concat([...parts, buf]);
      const end = buf.length > 0 && buf[buf.length - 1] === CR ? buf.length - 1 : buf.length;
      text = decode(buf.subarray(0, end));
    }
    parts = [];
    partLen = 0;
    tooLong = false;
    return { no: no++, text };
  };
  for await (const raw of input) {
    let chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    if (first && chunk.length > 0) {
      first = false;
      if (chunk.subarray(0, 3).equals(BOM)) chunk = chunk.subarray(3);
    }
    const out: Line[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(LF, pos);
      const end = nl === -1 ? chunk.length : nl;
      // A line may hold maxBytes plus the CR of a CRLF ending.
      if (!tooLong && partLen + (end - pos) > maxBytes + 1) {
        tooLong = true;
        parts = [];
        partLen = 0;
      }
      if (nl === -1) {
        if (!tooLong) {
          parts.push(chunk.subarray(pos));
          partLen += chunk.length - pos;
        }
        break;
      }
      const line = finish(tooLong ? null : chunk.subarray(pos, nl));
      if (line.text !== null && Buffer.byteLength(line.text) > maxBytes) line.text = null;
      out.push(line);
      pos = nl + 1;
    }
    if (out.length) yield out;
  }
  if (partLen > 0 || tooLong) {
    const line = finish(null);
    if (line.text !== null && Buffer.byteLength(line.text) > maxBytes) line.text = null;
    line.unterminated = true;
    yield [line];
  }
}
