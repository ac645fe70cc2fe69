import type { Clock, TimerHandle } from '../shared/clock.js';
import type { DeviceProfile } from './policy.js';

/**
 * The registrar's bindings (RFC 3261 §10.3), one per device name, with expiry on the injected
 * clock: an entry past its `expiresAt` is gone for every reader at once, and a single timer at
 * the earliest expiry removes it and reports it (so a `ManualClock` test sees the expiry event
 * when it advances past it).
 */
export interface Registration {
  deviceName: string;
  /** Address of record: the To URI. */
  aor: string;
  /** The Contact value as the phone sent it. */
  contact: string;
  transport: 'tls' | 'tcp';
  remote: string;
  profile: DeviceProfile;
  callId: string;
  cseq: number;
  registeredAt: number;
  expiresAt: number;
  /** For TLS: the negotiated suite and version, and the phone's certificate. */
  cipher?: string;
  protocol?: string;
  certificate?: { subject: string; issuer: string; fingerprint256: string };
}

export class RegistrationTable {
  readonly #clock: Clock;
  readonly #byDevice = new Map<string, Registration>();
  readonly #onExpire: (r: Registration) => void;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;

  constructor(clock: Clock, onExpire: (r: Registration) => void = () => undefined) {
    this.#clock = clock;
    this.#onExpire = onExpire;
  }

  /** The live binding of `deviceName`, if any. */
  get(deviceName: string): Registration | undefined {
    const r = this.#byDevice.get(deviceName);
    return r && r.expiresAt > this.#clock.now() ? r : undefined;
  }

  /** Every live binding. */
  list(): Registration[] {
    const now = this.#clock.now();
    return [...this.#byDevice.values()].filter((r) => r.expiresAt > now);
  }

  get size(): number {
    return this.list().length;
  }

  set(r: Registration): void {
    this.#byDevice.set(r.deviceName, r);
    if (r.expiresAt < this.#timerAt) this.#schedule();
  }

  delete(deviceName: string): boolean {
    const had = this.#byDevice.delete(deviceName);
    if (had && this.#byDevice.size === 0) this.#cancel();
    return had;
  }

  /** Stops the expiry timer (the registrar calls this on close). */
  dispose(): void {
    this.#cancel();
  }

  #cancel(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #schedule(): void {
    this.#cancel();
    let next = Infinity;
    for (const r of this.#byDevice.values()) next = Math.min(next, r.expiresAt);
    if (next === Infinity) return;
    this.#timerAt = next;
    this.#timer = this.#clock.setTimeout(() => this.#sweep(), Math.max(0, next - this.#clock.now()));
  }

  #sweep(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = this.#clock.now();
    for (const [name, r] of this.#byDevice) {
      if (r.expiresAt <= now) {
        this.#byDevice.delete(name);
        this.#onExpire(r);
      }
    }
    this.#schedule();
  }
}
