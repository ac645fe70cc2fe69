/**
 * What a TVS server asks the cluster (architecture.md: "the servers are thin shells that serve
 * what the model says"). The cluster model implements it from its trust stores
 * (phone-behaviour.md TVS-6: Phone-SAST-trust → SAST+TFTP, CallManager → SAST+CCM+TFTP, …);
 * tests use a small map keyed by SHA-256 fingerprint, the key tvsd looks certificates up by.
 */

/** What the server knows about a request when it asks the authority. */
export interface TvsRequestInfo {
  /** DEVICE_NAME without its leading byte, when the request had one. */
  deviceName?: string;
  /** 1 (VERIFY_REQUEST) or 3 (QUERY_REQUEST). */
  command: number;
  sessionId: number;
  /** The server's `name` option (the CUCM node answering). */
  node: string;
}

/** The authority's answer. `roles` are ITL role codes (formats.md §1.5), one byte each. */
export interface TvsVerdict {
  status: 'valid' | 'invalid';
  roles: number[];
  /** Seconds the phone may cache a valid answer; the server's `defaultTtlSeconds` (86 400) when absent. */
  ttlSeconds?: number;
}

/** Answer to a Cisco-style query by subject: the verdict plus the certificate(s) found. */
export interface TvsQueryVerdict extends TvsVerdict {
  certificates: Uint8Array[];
}

export interface TvsAuthority {
  /** Verdict on a whole DER certificate (tvsd's VERIFY_REQUEST style). */
  verify(certificate: Uint8Array, request: TvsRequestInfo): TvsVerdict | Promise<TvsVerdict>;
  /**
   * Verdict on a subject DN (Cisco's QUERY_CERT_REQ style, phone-behaviour.md TVS-4). Optional:
   * without it, subject queries are answered "invalid".
   */
  lookupSubject?(subject: string, request: TvsRequestInfo): TvsQueryVerdict | Promise<TvsQueryVerdict>;
}
