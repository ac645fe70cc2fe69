/**
 * Structure-aware fuzzing of ITL/CTL/.sgn files and the TVS and TFTP codecs (issue 8): mutators,
 * an independent reference verifier, codec and phone oracles, the loop, delta-debugging
 * minimisation and saved findings.
 */
export { fuzz, replay, type FuzzOptions, type FuzzResult, type FuzzStatus, type FuzzTarget } from './engine.js';
export { fuzzSetup, sampleFiles, SAMPLES_DIR, type FuzzSetup } from './setup.js';
export { execCodec, execPhone, PRODUCTION_SUBJECT, SLOW_MS, type ExecResult, type FuzzKind, type FindingKind, type PhoneScene, type PhoneSubject } from './targets.js';
export { referenceVerdict, referenceRecords, type ReferenceContext, type ReferenceVerdict } from './reference.js';
export { MUTATORS, MUTATOR_GROUPS, mutate, type Mutator, type MutationContext } from './mutators.js';
export { minimise } from './minimise.js';
export { readFinding, writeFinding, type Finding } from './findings.js';
export { Rng } from './rng.js';
export { splitFile, joinFile } from './tlv-view.js';
export { fuzzServed, SERVED_TFTP_PORT } from './served.js';
export { fuzzServer, serverHarness, PROBE_EVERY, type FuzzServerOptions, type ServerHarness } from './served-server.js';
export { FuzzingFileProvider, type FuzzServeEvent } from './provider.js';
export { fuzzParallel, shardSeed, type ParallelFuzzOptions } from './parallel.js';
