/** Luhn (mod 10) check over a string of ASCII digits. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  return luhnSum(digits, false) % 10 === 0;
}

/** The check digit that makes `body` + digit Luhn-valid. */
export function luhnCheckDigit(body: string): number {
  return (10 - (luhnSum(body, true) % 10)) % 10;
}

function luhnSum(digits: string, doubleFirst: boolean): number {
  let sum = 0;
  let double = doubleFirst;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum;
}

/** Masks a card number for display and reject files: first 6 and last 4 digits. */
export function maskPan(pan: string): string {
  if (pan.length < 13) return '*'.repeat(Math.min(pan.length, 19));
  return `${pan.slice(0, 6)}${'*'.repeat(pan.length - 10)}${pan.slice(-4)}`;
}

const DIGIT_RUN = /\d{13,19}/g;

/** Replaces every Luhn-valid run of 13–19 digits in `text` by its mask (design §5: nothing sensitive in logs). */
export function scrubPans(text: string): string {
  return text.replace(DIGIT_RUN, (run) => (luhnValid(run) ? maskPan(run) : run));
}
