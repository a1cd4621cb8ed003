/**
 * The engine worker's handler for 'library-' messages (see domains.ts).
 */
import type { DomainHandler } from './domains';

export const libraryDomain: DomainHandler = {
  prefix: 'library-',
  async handle() {
    // No 'library-' messages yet.
  },
};
