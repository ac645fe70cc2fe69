import type { NetworkEffect, PendingEffect, PhoneEffect, ResultEvent } from './types.js';

/**
 * Each effect's one answer (architecture.md "Every effect has an id and ends in exactly one
 * result event"): the result event that answers it, and how the shell says it failed or timed
 * out. Declared once here, so that the shell, the liveness test's simulated network and the
 * reducer's check agree on which event answers which effect.
 */
export const RESULT_OF = {
  fetch: 'file.result',
  'tvs.verify': 'tvs.result',
  'tvs.query': 'tvs.result',
  'capf.enroll': 'capf.result',
  'sip.register': 'sip.result',
  'service.connect': 'service.certificate',
  'service.fetch': 'service.page',
  'timer.start': 'timer',
} as const satisfies Record<PendingEffect['type'], ResultEvent['type']>;

export const NETWORK_EFFECTS: ReadonlySet<string> = new Set(Object.keys(RESULT_OF).filter((k) => k !== 'timer.start'));

export function isNetworkEffect(e: PhoneEffect): e is NetworkEffect {
  return NETWORK_EFFECTS.has(e.type);
}

/**
 * The result event that ends `effect` unsuccessfully: `failure` for an effect whose work
 * rejected (a bug or an I/O error the client did not turn into an outcome), `timeout` for one
 * that did not answer within its bound. Each goes to the failure event of the effect's own
 * kind — never to another kind's.
 */
export function failedResult(effect: NetworkEffect, how: 'failure' | 'timeout', detail: string, at: number): ResultEvent {
  const base = { at, effect: effect.id };
  switch (effect.type) {
    case 'fetch':
      return { ...base, type: 'file.result', name: effect.name, error: how === 'timeout' ? 'timeout' : 'error', detail };
    case 'tvs.verify':
    case 'tvs.query':
      return { ...base, type: 'tvs.result', outcome: how === 'timeout' ? 'timeout' : 'malformed-answer', detail };
    case 'capf.enroll':
      return { ...base, type: 'capf.result', ok: false, failure: how === 'timeout' ? 'timeout' : 'communication', reason: detail };
    case 'sip.register':
      return { ...base, type: 'sip.result', ok: false, reason: how === 'timeout' ? `no answer (${detail})` : detail };
    case 'service.connect':
      return { ...base, type: 'service.certificate', url: effect.url, error: detail };
    case 'service.fetch':
      return { ...base, type: 'service.page', url: effect.url, ok: false, error: detail };
  }
}

/**
 * How long the shell lets each network effect run before answering it with a timeout, as a
 * multiple of the per-connection timeout the clients already use. The clients end on their own
 * well within this; the bound is there so that a client bug or a stalled socket still ends the
 * effect. A file fetch may try HTTP, then TFTP with retransmissions; a CAPF session has several
 * round trips and a key generation.
 */
export const EFFECT_BOUND_FACTOR: Record<NetworkEffect['type'], number> = {
  fetch: 4,
  'tvs.verify': 4,
  'tvs.query': 4,
  'capf.enroll': 8,
  'sip.register': 3,
  'service.connect': 3,
  'service.fetch': 3,
};
