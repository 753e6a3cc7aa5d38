/**
 * A small typed event emitter that runs the same in browsers and Node. A listener that throws does not stop
 * the other listeners or the client: its error is rethrown on a later turn, where the page's (or process's)
 * uncaught-error handling reports it.
 *
 * @template {object} Events map of event name to the argument its listeners get
 */
export class TypedEmitter<Events extends object> {
    /**
     * Calls `listener` on every `type` event; returns a function that removes it.
     * @template {keyof Events} K
     * @param {K} type
     * @param {(event: Events[K]) => void} listener
     * @returns {() => void}
     */
    on<K extends keyof Events>(type: K, listener: (event: Events[K]) => void): () => void;
    /**
     * Calls `listener` on the next `type` event only; returns a function that removes it.
     * @template {keyof Events} K
     * @param {K} type
     * @param {(event: Events[K]) => void} listener
     * @returns {() => void}
     */
    once<K extends keyof Events>(type: K, listener: (event: Events[K]) => void): () => void;
    /**
     * Removes a listener added with `on`.
     * @template {keyof Events} K
     * @param {K} type
     * @param {(event: Events[K]) => void} listener
     */
    off<K extends keyof Events>(type: K, listener: (event: Events[K]) => void): void;
    /**
     * @protected
     * @template {keyof Events} K
     * @param {K} type
     * @param {Events[K]} event
     */
    protected emit<K extends keyof Events>(type: K, event: Events[K]): void;
    #private;
}
