/** How long `until` keeps trying, and how often. */
export interface UntilOptions {
  /** @default 10_000 */
  timeoutMs?: number;
  /** Pause between attempts. @default 50 */
  intervalMs?: number;
}

/**
 * Asks `probe` again and again until its answer passes `done`, and resolves with that answer. Bounded in time
 * (`timeoutMs`, even if a probe hangs) and in count (about `timeoutMs / intervalMs` attempts). A probe that
 * throws counts as not done yet; the last answer or error is in the timeout's message, with `what`.
 */
export async function until<T>(
  what: string,
  probe: () => T | Promise<T>,
  done: (value: T) => boolean = Boolean,
  { timeoutMs = 10_000, intervalMs = 50 }: UntilOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const attempts = Math.ceil(timeoutMs / intervalMs) + 1;
  let last = 'no answer yet';
  for (let attempt = 0; attempt < attempts; attempt++) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    let timer: NodeJS.Timeout | undefined;
    try {
      const value = await Promise.race([
        probe(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${left} ms`)), left);
        }),
      ]);
      if (done(value)) return value;
      last = `last answer ${JSON.stringify(value)}`;
    } catch (err) {
      last = `last error ${(err as Error).message}`;
    } finally {
      clearTimeout(timer);
    }
    const pause = Math.min(intervalMs, deadline - Date.now());
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
  }
  throw new Error(`${what}: not so within ${timeoutMs} ms (${last})`);
}
