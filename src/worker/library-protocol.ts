/**
 * Messages of the engine worker's 'library-' domain (see domains.ts): every kind starts with 'library-'.
 * (Filled in by the library work; empty until then.)
 */
export type LibraryToEngine = never;
export type LibraryFromEngine = never;
