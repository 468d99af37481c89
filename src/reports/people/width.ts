import { eastAsianWidth } from 'get-east-asian-width';

/**
 * Columns a string takes in a terminal or a spreadsheet column: East Asian wide and full-width
 * characters (汉字, ＡＢＣ) take two, combining marks and zero-width characters none, the rest one.
 * get-east-asian-width is the Unicode table alone (no ANSI stripping needed here: the CLI prints
 * no colours), which is why it is used rather than string-width.
 */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || /\p{Mn}|\p{Me}|\p{Cf}/u.test(ch)) continue;
    w += eastAsianWidth(cp);
  }
  return w;
}

/** `text` padded with spaces to `width` display columns. */
export function padDisplay(text: string, width: number): string {
  const w = displayWidth(text);
  return w >= width ? text : text + ' '.repeat(width - w);
}
