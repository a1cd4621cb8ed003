/**
 * Messages of the engine worker's 'hub-' domain (see domains.ts): every kind starts with 'hub-'.
 * (Filled in by the hub work; empty until then.)
 */
export type HubToEngine = never;
export type HubFromEngine = never;
