/**
 * The child side of the supervisor's IPC channel (present when a role runs under `switchboard start` or
 * `--count`): says when the role is ready, and answers stats requests for `switchboard status`.
 */

/** Messages between the supervisor and its children; `sb` keeps them apart from anything else on the channel. */
export type IpcMessage =
  { sb: 'ready' } | { sb: 'stats'; id: number } | { sb: 'stats-reply'; id: number; stats: ChildStats };

export interface ChildStats {
  rss: number;
  /** Role-specific counters (connections, messagesIn, inFlight, …). */
  [key: string]: number;
}

export function isIpcMessage(value: unknown): value is IpcMessage {
  return typeof value === 'object' && value !== null && typeof (value as { sb?: unknown }).sb === 'string';
}

/** Wires a running role to its supervisor, if it has one. */
export function reportToSupervisor(stats: () => Record<string, number>): { ready(): void } {
  const send = process.send?.bind(process);
  if (!send) return { ready() {} };
  process.on('message', (msg: unknown) => {
    if (!isIpcMessage(msg) || msg.sb !== 'stats') return;
    send({ sb: 'stats-reply', id: msg.id, stats: { ...stats(), rss: process.memoryUsage().rss } } satisfies IpcMessage);
  });
  // The channel must not keep a stopping child alive.
  process.channel?.unref();
  return { ready: () => void send({ sb: 'ready' } satisfies IpcMessage) };
}
