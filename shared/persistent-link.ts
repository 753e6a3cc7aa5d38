import { formatHostPort, type HostPort } from './address.ts';
import { Backoff } from './backoff.ts';
import type { Message } from './commands.ts';
import { ErrorCode, type SwitchboardError } from './errors.ts';
import { Link, type LinkOptions, type PeerRole } from './link.ts';

export interface PersistentLinkEvents {
  /** A link was (re)established and authenticated. */
  open(link: Link): void;
  message(msg: Message, link: Link): void;
  /** The open link was lost; a reconnect is already scheduled unless `stop()` is called. */
  close(err?: SwitchboardError): void;
  /** A connection attempt failed. */
  failed?(err: SwitchboardError): void;
}

/**
 * A link to one register or gateway that reconnects with backoff until stopped. It logs the first failure
 * of a series (and every refused secret, which needs a person to act), not each retry.
 */
export class PersistentLink {
  link: Link | null = null;
  readonly address: string;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private readonly backoff = new Backoff();

  constructor(
    private readonly target: HostPort,
    private readonly peerKind: 'register' | 'gateway',
    private readonly options: LinkOptions,
    private readonly role: PeerRole,
    private readonly name: string,
    private readonly events: PersistentLinkEvents,
  ) {
    this.address = formatHostPort(target);
    this.attempt();
  }

  get isOpen(): boolean {
    return this.link?.isOpen ?? false;
  }

  /** Stops reconnecting and closes the link cleanly; resolves when its socket is closed (1 s at most). */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const link = this.link;
    this.link = null;
    if (!link) return Promise.resolve();
    link.close();
    const timer = setTimeout(() => link.socket.destroy(), 1000);
    return link.socketClosed.finally(() => clearTimeout(timer));
  }

  private attempt(): void {
    this.timer = null;
    Link.connect(this.target, this.options, this.role, this.name, (link) => this.opened(link)).then(
      (link) => {
        if (this.stopped) link.close();
      },
      (err: SwitchboardError) => {
        if (this.stopped) return;
        const refused = err.code === ErrorCode.AuthFailed;
        // A peer that is still starting is normal for a moment; say so once it has failed a few times.
        if (refused || this.failures === 2) {
          this.options.log[refused ? 'error' : 'warn'](
            `cannot connect to ${this.peerKind} ${this.address}: ${err.message}; still trying`,
            { code: err.code },
          );
        }
        this.failures++;
        this.events.failed?.(err);
        this.schedule();
      },
    );
  }

  private opened(link: Link): void {
    if (this.stopped) return;
    this.options.log.info(`connected to ${this.peerKind} ${this.address}`);
    this.failures = 0;
    this.backoff.reset();
    this.link = link;
    link.onMessage = (msg) => this.events.message(msg, link);
    link.onClose = (err) => {
      this.link = null;
      if (this.stopped) return;
      this.options.log.warn(`lost ${this.peerKind} ${this.address}${err ? `: ${err.message}` : ''}`, {
        code: err?.code,
      });
      this.events.close(err);
      this.schedule();
    };
    this.events.open(link);
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    // Not unref'd: a process whose only job is this link must stay up while it retries.
    this.timer = setTimeout(() => this.attempt(), this.backoff.next());
  }
}
