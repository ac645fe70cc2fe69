export { reduce, initialPhone, presentedCredential, type Transition } from './reducer.js';
export type { PhoneState, PhoneEvent, PhoneEffect, Flash, Phase, SettledState, BootOutcome, PhoneQuirks, TvsOutcomeKind, LogEntry } from './types.js';
export { decideTrustList, decideConfig, callManagerAnchors, tvsAnchors, capfAnchors, isEmptyItl, trustsOnFirstUse, type TrustDecision, type ConfigDecision } from './trust.js';
export * as messages from './messages.js';
