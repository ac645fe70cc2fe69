/**
 * The text phones show and log, quoted from the sources so that testers see the strings they
 * know: phone-behaviour.md ITL-7 (status messages, 8800 admin guide S18), CFG-3 (console lines,
 * S7; 8945 status, S24), BOOT-1 (the harmless missing-CTL line), TLS-4/MIG-7 (unknown CA).
 */
export const STATUS = {
  itlInstalled: 'ITL installed',
  ctlAndItlInstalled: 'CTL and ITL installed',
  trustListUpdated: 'Trust List updated',
  trustListUpdateFailed: 'Trust List update failed',
  noTrustList: 'No Trust List installed',
  erasing: 'Erasing CTL and ITL files',
  ctlUpdateFailed: 'CTL update failed',
  registering: 'Phone is registering',
} as const;

/** `File Not Found <CTLFile.tlv>`: what a non-secure cluster's phones log on every boot (S18). */
export const fileNotFound = (file: string): string => `File Not Found <${file}>`;

/** CFG-3: the SECD console line when a signed config's signer is unknown (S7). */
export const sgnSignerNotInCtl = (device: string): string =>
  `SECD: EROR:verifyFile: sgn verify file failed </usr/ram/${device}.cnf.xml>, errclass 8, errcode 19 (signer not in CTL)`;

/** CFG-3: the SECD console line when a signed config's signature does not verify. */
export const sgnVerifyFailed = 'SECD: EROR:verifyFile: verify FAILED';

/** CFG-3: the 8945 status line for a rejected config (S24). */
export const authenticatedFail = (device: string): string => `invalid file ${device}.cnf.xml.sgn, authenticated fail. Reason:14`;

/** ITL-1 (S28): the firmware's own words for trust on first use. */
export const leapOfFaith = 'Using leap of faith to accept TL file';

/** CTL-3 (S6). */
export const tlVerified = 'TL file verified successfully.';
export const tlUpdated = 'TL file updated.';

/** TVS-3 (S28): TVS is used only when the ITL has a TVS record. */
export const tvsNotInTrustList = 'Not using TVS - TVS not in Trust list';

/** TLS-4 / MIG-7 (S15). */
export const unknownCaAlert = 'SECD: -STATE_SSL3_ALERT: SSL3 alert [read]:[fatal]:[unknown CA]';
export const noLscWillTryMic = (proto: 'SIP' | 'SCCP'): string => `SECD: -PXY_NO_LSC: No LSC for [${proto}], will try MIC`;

/**
 * CAPF-3: the value of the LSC field under Settings > Security at the end of a CAPF operation
 * (8800 admin guide, "Set Up a Locally Significant Certificate": Installed or Not Installed).
 * The guide names no text for a failed upgrade of a phone that already holds an LSC; the
 * capfc protocol keeps the old LSC in that case, and `lscKept` is trustlab's own wording.
 */
export const lscInstalled = 'LSC: Installed';
export const lscNotInstalled = 'LSC: Not Installed';
export const lscKept = 'LSC: Installed (the CAPF operation failed; the existing LSC is kept)';

/** TVS-5 (S6). */
export const tvsCached = 'TVS added cert to TVS cache - expires in 24 hours';

/**
 * SC-23: what the phone shows for an HTTPS service. The sources document the TVS exchange but not
 * the on-screen text when the server is not trusted, so these strings are trustlab's own.
 */
export const serviceLoaded = (title: string): string => `${title} loaded`;
export const serviceFailed = (title: string, reason: string): string => `${title} unavailable: ${reason}`;
export const SERVICE_TITLE = { directory: 'Corporate Directory' } as const;
