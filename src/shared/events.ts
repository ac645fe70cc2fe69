/**
 * A small typed event bus (conventions.md §12). Library code never prints: servers, phones and
 * the cluster emit typed events with dotted names (`tftp.request`, `tvs.verify.result`,
 * `phone.state`), and the CLI, the scenario runner and the dashboard subscribe.
 *
 * Each subsystem declares its own event union (`TftpEvent`, `TvsEvent`, …); an `EventBus` is
 * parameterised by the union it carries. A listener that throws is isolated: the error is
 * handed to `onListenerError` instead of breaking the emitter.
 */
export interface EmulatorEventBase {
  type: string;
}

type Listener<E> = (event: E) => void;

export class EventBus<E extends EmulatorEventBase> {
  readonly #byType = new Map<string, Set<Listener<E>>>();
  readonly #any = new Set<Listener<E>>();
  onListenerError: (err: unknown, event: E) => void = () => undefined;

  on<T extends E['type']>(type: T, listener: Listener<Extract<E, { type: T }>>): () => void {
    let set = this.#byType.get(type);
    if (!set) this.#byType.set(type, (set = new Set()));
    set.add(listener as Listener<E>);
    return () => set.delete(listener as Listener<E>);
  }

  onAny(listener: Listener<E>): () => void {
    this.#any.add(listener);
    return () => this.#any.delete(listener);
  }

  emit(event: E): void {
    const set = this.#byType.get(event.type);
    if (set) for (const l of set) this.#call(l, event);
    for (const l of this.#any) this.#call(l, event);
  }

  /** True when anyone listens to `type` (lets hot paths skip building events nobody reads). */
  wants(type: E['type']): boolean {
    return this.#any.size > 0 || (this.#byType.get(type)?.size ?? 0) > 0;
  }

  #call(l: Listener<E>, event: E): void {
    try {
      l(event);
    } catch (err) {
      this.onListenerError(err, event);
    }
  }
}
