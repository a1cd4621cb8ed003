/**
 * Messages of the engine worker's 'train-' domain (see domains.ts): every kind starts with 'train-'.
 * (Filled in by the train work; empty until then.)
 */
export type TrainToEngine = never;
export type TrainFromEngine = never;
