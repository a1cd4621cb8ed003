/**
 * The engine worker's handler for 'compare-' messages (see domains.ts).
 */
import type { DomainHandler } from './domains';

export const compareDomain: DomainHandler = {
  prefix: 'compare-',
  async handle() {
    // No 'compare-' messages yet.
  },
};
