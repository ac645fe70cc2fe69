import type { CapfStage, Phase } from './types.js';

/**
 * Where hand-overs between sub-machines can lead, declared once so that each table names the
 * stages its edges may end in (table.ts). A leaf module: the sub-machines import each other's
 * functions, but their tables are built when the modules load, and only from these constants.
 */

/** Once the config is decided: no config at all, CAPF first (secure profile), or registering. */
export const AFTER_CONFIG: readonly Phase[] = ['failed', 'enrol', 'register'];
/** Entering the config phase (no TFTP server: straight to what the cached config allows). */
export const ENTER_CONFIG: readonly Phase[] = ['config', ...AFTER_CONFIG];
/** Entering the ITL phase (a model without Security by Default goes on to the config). */
export const ENTER_ITL: readonly Phase[] = ['itl', ...ENTER_CONFIG];
/** A boot once started. */
export const START_BOOT: readonly Phase[] = ['ctl', ...AFTER_CONFIG];
/** A CAPF operation once started: a session, or waiting for the authentication string. */
export const CAPF_STARTS: readonly CapfStage[] = ['session', 'waiting'];
/** Where the boot goes when CAPF ends for a secure phone that waited for it. */
export const REGISTERS: readonly Phase[] = ['register', 'failed'];
