import type { PhoneModel } from '../models.js';
import type { TrustDecisions } from './trust.js';
import type { Flash, NetworkEffect, PendingEffect, PhoneEffect, PhoneState, Region, SettledState, TimerName, Transition } from './types.js';

/** Status log entries kept in flash; older ones drop off, as on a phone's status screen. */
export const LOG_LIMIT = 200;

type WithoutId<E> = E extends { id: number } ? Omit<E, 'id'> : never;

/**
 * The working copy of one reduction: each edge builds the next state through it and collects
 * the effects, so that starting an effect always records it as pending (with its id and region)
 * and ending one always removes it. Nothing else assigns `effects` or `nextEffect`.
 */
export class Step {
  readonly effects: PhoneEffect[] = [];
  constructor(public s: PhoneState, readonly model: PhoneModel, readonly at: number, readonly decide: TrustDecisions) {}

  log(message: string): void {
    const log = [...this.s.flash.log, { at: this.at, message }];
    this.s = { ...this.s, flash: { ...this.s.flash, log: log.length > LOG_LIMIT ? log.slice(-LOG_LIMIT) : log } };
  }

  status(message: string): void {
    this.log(message);
    this.effects.push({ type: 'status', message });
  }

  flash(patch: Partial<Flash>): void {
    this.s = { ...this.s, flash: { ...this.s.flash, ...patch } };
    this.effects.push({ type: 'flash.save' });
  }

  /** Removes entries from flash (erasing files, REC-4). */
  erase(...keys: Array<'ctl' | 'itl' | 'config' | 'lsc' | 'capfAuthString'>): void {
    const next = { ...this.s.flash };
    for (const k of keys) delete next[k];
    this.s = { ...this.s, flash: next };
    this.effects.push({ type: 'flash.save' });
  }

  settle(state: SettledState, reason: string): void {
    if (this.s.settled.state === state && this.s.settled.reason === reason) return;
    this.s = { ...this.s, settled: { state, reason } };
    this.effects.push({ type: 'settled', state, reason });
  }

  /** Starts a network effect for `region`: it gets the next id and is pending until answered or cancelled. */
  start(region: Region, effect: WithoutId<NetworkEffect>): number {
    const id = this.s.nextEffect;
    this.s = { ...this.s, nextEffect: id + 1, effects: [...this.s.effects, { id, type: effect.type, region }] };
    this.effects.push({ ...effect, id } as NetworkEffect);
    return id;
  }

  /** Sets a timer on the phone's clock; a timer of the same name set earlier is cancelled. */
  timer(region: Region, name: TimerName, ms: number): number {
    this.cancel((p) => p.timer === name);
    const id = this.s.nextEffect;
    this.s = { ...this.s, nextEffect: id + 1, effects: [...this.s.effects, { id, type: 'timer.start', region, timer: name, due: this.at + ms }] };
    this.effects.push({ type: 'timer.start', id, name, ms });
    return id;
  }

  /** Ends matching effects unanswered (power off, a reset, a visit abandoned). */
  cancel(match: (p: PendingEffect) => boolean): void {
    const ids = this.s.effects.filter(match).map((p) => p.id);
    if (ids.length === 0) return;
    this.s = { ...this.s, effects: this.s.effects.filter((p) => !ids.includes(p.id)) };
    this.effects.push({ type: 'cancel', ids });
  }

  /** The effect `id` has been answered: it is no longer pending. */
  answered(id: number): void {
    this.s = { ...this.s, effects: this.s.effects.filter((p) => p.id !== id) };
  }

  done(): Transition {
    return { state: this.s, effects: this.effects };
  }
}
