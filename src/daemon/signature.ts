import crypto from 'node:crypto';

/** Largest difference between X-Timestamp and the server clock, seconds (design §5). */
export const MAX_SKEW_SECONDS = 300;

/** X-Signature of design §5: lowercase hex HMAC-SHA256 of `${timestamp}.${rawBody}` under the channel secret. */
export function signBody(secret: string, timestamp: string, rawBody: string | Buffer): string {
  return crypto.createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** Constant-time comparison of a presented signature with the expected one. */
export function signatureMatches(secret: string, timestamp: string, rawBody: Buffer, presented: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(presented)) return false;
  const expected = Buffer.from(signBody(secret, timestamp, rawBody), 'hex');
  return crypto.timingSafeEqual(expected, Buffer.from(presented, 'hex'));
}

/** Whether `timestamp` (Unix seconds, digits) is within MAX_SKEW_SECONDS of `now`. */
export function timestampFresh(timestamp: string, now: Date): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  return Math.abs(Number(timestamp) - now.getTime() / 1000) <= MAX_SKEW_SECONDS;
}
