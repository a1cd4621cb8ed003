/**
 * The one shape every request of the worker protocol is declared in: what it carries, what it answers, and the
 * events it may send before answering. Each domain declares its requests as a map of kind → Spec
 * (`TrainRequests` in train-protocol.ts, …); protocol.ts joins the maps, and the message unions, the worker's
 * router and the client's `call` are all derived from that one map.
 */

/** A request kind's parameters (the fields its message carries besides `kind` and `id`), reply and events. */
export interface Spec<Params, Reply, Event = never> {
  params: Params;
  reply: Reply;
  event: Event;
}

/** The parameters of a request that carries nothing but its kind and id. */
export type NoParams = Record<never, never>;
