/** ISO 8583 DE39 response codes of design §5 and their messages. */
export const CODES = {
  '00': 'approved',
  '10': 'partial approval',
  '05': 'do not honour',
  '12': 'invalid transaction',
  '13': 'invalid amount',
  '14': 'invalid card number',
  '25': 'original not found',
  '41': 'lost card',
  '51': 'insufficient funds',
  '54': 'expired card',
  '55': 'incorrect PIN',
  '57': 'transaction not permitted to card',
  '58': 'transaction not permitted to terminal',
  '61': 'exceeds amount limit',
  '62': 'restricted card',
  '75': 'PIN tries exceeded',
  '94': 'duplicate transaction',
  '96': 'system malfunction',
} as const;

export type ResponseCode = keyof typeof CODES;

/** Whether a code approves the message (fully or partially). */
export function isApproval(code: ResponseCode): boolean {
  return code === '00' || code === '10';
}
