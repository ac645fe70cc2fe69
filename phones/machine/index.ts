/**
 * The phone's trust state machine (architecture.md "Layering"): sub-machines with declared
 * transition tables, composed by a pure reducer; the trust decisions they use; the status
 * strings phones show.
 */
export { reduce, initialPhone, presentedCredential, SUB_MACHINES, ACTION_REGION } from './reducer.js';
export { RESULT_OF, failedResult, isNetworkEffect, EFFECT_BOUND_FACTOR } from './effects.js';
export { STAGE_NEEDS, REGIONS, stageOf, stalledRegions, atRest, type SubMachine, type AnyEdge, type StageNeed } from './table.js';
export { CAPF_RETRIES, CAPF_RETRY_MS } from './capf.js';
export { REGISTER_RETRY_MS } from './register.js';
export { machineDiagrams } from './diagram.js';
export type {
  PhoneState, PhoneEvent, PhoneEffect, NetworkEffect, ResultEvent, ActionEvent, PendingEffect, Transition, Flash, Phase, CapfStage, ServiceStage, Region,
  SettledState, BootOutcome, PhoneQuirks, TvsOutcomeKind, LogEntry, CapfOutcome, CapfFailureKind, TimerName,
} from './types.js';
export { decideTrustList, decideConfig, PRODUCTION_DECISIONS, type TrustDecisions, callManagerAnchors, tvsAnchors, capfAnchors, isEmptyItl, trustsOnFirstUse, installedItl, type TrustDecision, type ConfigDecision } from './trust.js';
export * as messages from './messages.js';
