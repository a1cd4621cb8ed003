/**
 * The engine worker's handler for 'hub-' messages (see domains.ts).
 */
import type { DomainHandler } from './domains';

export const hubDomain: DomainHandler = {
  prefix: 'hub-',
  async handle() {
    // No 'hub-' messages yet.
  },
};
