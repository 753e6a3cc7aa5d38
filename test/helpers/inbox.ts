/**
 * `message[key]` when `message` is an object (parsed JSON), else undefined: for predicates that must not throw on
 * what else a client may receive (plain text such as a `--ping-data` heartbeat, a Buffer, JSON `null`).
 */
export function field(message: unknown, key: string): unknown {
  return typeof message === 'object' && message !== null ? (message as Record<string, unknown>)[key] : undefined;
}

/**
 * What a test client has received and not yet taken, and the waits for it: `next` removes the first item
 * passing a test (waiting for it if need be), `nothing` checks none arrives. `view` picks what tests look at
 * in an item (the parsed data of a message, say).
 */
export class Inbox<T> {
  readonly items: T[] = [];
  private waiters: (() => void)[] = [];

  constructor(private readonly view: (item: T) => unknown) {}

  push(item: T): void {
    this.items.push(item);
    this.wake();
  }

  /** Lets waiting `next` calls look again (a new item, or the connection closed). */
  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Removes the first item whose view passes `test` and returns the view; rejects after `timeoutMs`. */
  async next(test: (data: unknown) => boolean = () => true, timeoutMs = 5000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.items.findIndex((item) => test(this.view(item)));
      if (index >= 0) return this.view(this.items.splice(index, 1)[0]!);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `no matching message within ${timeoutMs} ms; have ${JSON.stringify(this.items.map(this.view))}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Asserts nothing whose view passes `test` arrives within `ms`. */
  async nothing(test: (data: unknown) => boolean = () => true, ms = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    const found = this.items.find((item) => test(this.view(item)));
    if (found !== undefined) throw new Error(`unexpected message ${JSON.stringify(this.view(found))}`);
  }
}
