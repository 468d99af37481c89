import type { Handler } from './types.js';

/** `balance`: a balance inquiry. Moves nothing; allowed on an expired card; PIN where the program requires one. */
export const balance: Handler = {
  type: 'balance',
  fields: { card: 'required', amount: 'unused', merchant: 'required', original: 'unused', pin: true },
  needsPin: true,
  needs: { card: 'message', original: false },
  entryKind: null,
  skipStatus: 'expiry',
  decide: () => ({ code: '00' }),
};
