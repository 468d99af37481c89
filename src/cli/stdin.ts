/** The first line of standard input, without its line ending (for secrets that must not appear in argv). */
export async function readStdinLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n') || text.length > 1024) break;
  }
  return text.split(/\r?\n/)[0]!;
}
