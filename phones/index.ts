/**
 * The virtual phone (issue 6; architecture.md "Layering"): the pure trust state machine
 * (`machine/`), the shell that runs its effects over real sockets, the flash store, the model
 * table, manufacturing (MICs) and the fleet. The protocol clients it drives live in their protocol
 * folders (`tftp-sim/`, `tvs-sim/`, `src/sip/`, `src/capf/`).
 */
export { fetchFile, type FetchOptions, type FetchResult } from './fetch.js';
export { PhoneStore, PHONE_FORMAT_VERSION, type PhoneRecord, type LastRun } from './flash-store.js';
export { PHONE_MODELS, phoneModel, type PhoneModel } from './models.js';
export { VirtualPhone, type PhoneEnv, type PhoneBusEvent } from './phone.js';
export { manufacturePhone, fleetMac, type ManufactureOptions } from './provision.js';
export { Fleet, type FleetSpec, type FleetOptions, type FleetProgress, type FleetRunOptions } from './fleet.js';
export * from './machine/index.js';
