import type { Handler } from './types.js';
import { REQUESTS } from '../message.js';

/** `balance`: a balance inquiry. Moves nothing; allowed on an expired card; PIN where the program requires one. */
export const balance: Handler = {
  type: 'balance',
  schema: REQUESTS.balance,
  needsPin: true,
  usesOriginal: false,
  skipStatus: 'expiry',
  decide: () => ({ code: '00' }),
};
