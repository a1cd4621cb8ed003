/**
 * The engine worker's handler for 'train-' messages (see domains.ts).
 */
import type { DomainHandler } from './domains';

export const trainDomain: DomainHandler = {
  prefix: 'train-',
  async handle() {
    // No 'train-' messages yet.
  },
};
