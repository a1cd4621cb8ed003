/**
 * Messages of the engine worker's 'compare-' domain (see domains.ts): every kind starts with 'compare-'.
 * (Filled in by the compare work; empty until then.)
 */
export type CompareToEngine = never;
export type CompareFromEngine = never;
