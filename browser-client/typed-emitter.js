/**
 * A small typed event emitter that runs the same in browsers and Node. A listener that throws does not stop
 * the other listeners or the client: its error is rethrown on a later turn, where the page's (or process's)
 * uncaught-error handling reports it.
 *
 * @template {object} Events map of event name to the argument its listeners get
 */
export class TypedEmitter {
  /** @type {Map<keyof Events, Set<(event: any) => void>>} */
  #listeners = new Map();

  /**
   * Calls `listener` on every `type` event; returns a function that removes it.
   * @template {keyof Events} K
   * @param {K} type
   * @param {(event: Events[K]) => void} listener
   * @returns {() => void}
   */
  on(type, listener) {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => this.off(type, listener);
  }

  /**
   * Calls `listener` on the next `type` event only; returns a function that removes it.
   * @template {keyof Events} K
   * @param {K} type
   * @param {(event: Events[K]) => void} listener
   * @returns {() => void}
   */
  once(type, listener) {
    /** @param {Events[K]} event */
    const wrapper = (event) => {
      this.off(type, wrapper);
      listener(event);
    };
    return this.on(type, wrapper);
  }

  /**
   * Removes a listener added with `on`.
   * @template {keyof Events} K
   * @param {K} type
   * @param {(event: Events[K]) => void} listener
   */
  off(type, listener) {
    this.#listeners.get(type)?.delete(listener);
  }

  /**
   * @protected
   * @template {keyof Events} K
   * @param {K} type
   * @param {Events[K]} event
   */
  emit(type, event) {
    const set = this.#listeners.get(type);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(event);
      } catch (err) {
        setTimeout(() => {
          throw err;
        });
      }
    }
  }
}
