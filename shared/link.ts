import { formatHostPort, type HostPort } from './address.ts';
import { Cmd, cmdName, HISTORY_VERSION, parseMessage, type Message } from './commands.ts';
import { ErrorCode, peerErrorCode, SwitchboardError } from './errors.ts';
import { FrameDecoder } from './frame-decoder.ts';
import { encodeFrame } from './frame-encoder.ts';
import { COMPACT_VERSION, encodeCompact } from './frame-compact.ts';
import { DEFAULT_MAX_LINK_BACKLOG, FrameWriter, type WritableSocket } from './frame-writer.ts';
import { clientProof, DEFAULT_HANDSHAKE_TIMEOUT, newNonce, proofMatches, serverProof } from './handshake.ts';
import { Heartbeat } from './heartbeat.ts';
import { connectLinkSocket, type LinkTls } from './link-tls.ts';
import type { HandshakeGate } from './handshake-gate.ts';
import type { Logger } from './logger.ts';
import { DEFAULT_MAX_FRAME_SIZE } from './codec.ts';

/** Settings shared by every internal connection (register links and gateway inner links). */
export interface LinkOptions {
  /** The shared secret every process of one cluster is started with. */
  secret: string;
  /** @default 16 MiB (DEFAULT_MAX_FRAME_SIZE) */
  maxFrameSize?: number;
  /** @default 5000 ms (DEFAULT_HANDSHAKE_TIMEOUT) */
  handshakeTimeout?: number;
  /** TLS on internal links (see link-tls.ts); plain TCP when absent. */
  tls?: LinkTls;
  /** Servers only: connections allowed mid-handshake at once (HandshakeGate). @default 128 */
  maxPendingHandshakes?: number;
  /** Servers only: this server answers the history commands (a register), and says so in its AuthOk. */
  answersHistory?: boolean;
  /**
   * Ping period of an open link. A link that received nothing for HEARTBEAT_MAX_MISSED periods is closed;
   * silence is checked once per period, so a dead peer is noticed 3 to 4 periods after its last frame.
   * @default 5000 ms (DEFAULT_HEARTBEAT_INTERVAL)
   */
  heartbeatInterval?: number;
  /**
   * Bytes waiting to be sent to a peer that does not read them; past it the link is closed
   * (SB_ERR_LINK_BACKLOG) and, from the connecting side, made again. Bounds memory while a stalled peer's
   * silence is not yet noticed by the heartbeat. @default 64 MiB (DEFAULT_MAX_LINK_BACKLOG)
   */
  maxLinkBacklog?: number;
  log: Logger;
  /**
   * Called after an exception thrown by this process's own code for a message (`onMessage`, `onOpen`) was
   * logged as SB_ERR_INTERNAL: the role counts it in its metrics. The link stays open.
   */
  onInternalError?: (err: unknown) => void;
}

/**
 * What a Link needs of its socket: a net.Socket or tls.TLSSocket in every role; anything with these members
 * (an in-memory pair) in tests of the handshake and the error boundary.
 */
export interface LinkSocket extends WritableSocket {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  setNoDelay(noDelay?: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  once(event: 'close', listener: () => void): unknown;
  end(): unknown;
  destroy(): unknown;
}

/** @default 5000 ms between pings on every internal link. */
export const DEFAULT_HEARTBEAT_INTERVAL = 5000;
/** Silent periods after which a link is closed (SB_ERR_LINK_TIMEOUT). */
export const HEARTBEAT_MAX_MISSED = 3;
/** The shortest heartbeat period accepted, so a busy event loop is not mistaken for a dead peer. */
export const MIN_HEARTBEAT_INTERVAL = 50;
/** Handshake frames are a few hundred bytes; a larger one before authentication is refused. */
const HANDSHAKE_MAX_FRAME_SIZE = 4096;

/** Roles a peer may claim in its handshake. */
export type PeerRole = 'gateway' | 'worker' | 'client';

/**
 * One authenticated internal connection: framing, coalesced writes, the secret handshake and a heartbeat.
 *
 * Who is to blame decides what happens to the link:
 * - the peer broke the protocol (a frame that does not decode or fails the command table, a failed
 *   handshake, or a message its role may not send, which a handler reports by throwing SB_ERR_BAD_FRAME):
 *   logged once with the peer's address, the peer is told why, and this link only is closed;
 * - our own code threw anything else while handling a valid message: that is a bug here, not the peer's.
 *   It is logged at error level as SB_ERR_INTERNAL with its stack, counted (`onInternalError`), and the link
 *   stays open, so one bad command does not cut a worker off or lose its other clients' events.
 */
export class Link {
  /** The peer's socket address, for logs. */
  readonly remote: string;
  /** What the peer said it is (`gateway`, `worker`, `client`, or the server's role on the client side). */
  role = '';
  /** The peer's self-description (`worker 1234@host`), for logs. */
  name = '';
  onMessage: (msg: Message) => void = () => {};
  /** Called once when the link is gone; `err` says why when it was not a clean close. */
  onClose: (err?: SwitchboardError) => void = () => {};
  /**
   * Called before each frame is queued: whoever must get something onto this link ahead of every later frame
   * queues it here (a gateway's coalesced membership updates).
   */
  beforeSend: (() => void) | null = null;
  /**
   * The peer reads the compact layout (frame-compact.ts): it said so in the handshake. Peers of an older
   * version do not, and are sent msgpack maps only.
   */
  compact = false;
  /** The peer answers the history commands (a register of this version): it said so in the handshake. */
  peerAnswersHistory = false;

  private readonly writer: FrameWriter;
  private readonly decoder: FrameDecoder;
  private heartbeat: Heartbeat | null = null;
  /** Resolves when the socket is fully closed (no handle left). */
  readonly socketClosed: Promise<void>;
  private closed = false;
  private closeError: SwitchboardError | undefined;
  /** Messages before the link is open go to the handshake instead of `onMessage`. */
  private handshakeStep: ((msg: Message) => void) | null = null;

  /** @param remote the peer's address for logs; by default the socket's, which an outgoing socket lacks at first. */
  constructor(
    readonly socket: LinkSocket,
    private readonly options: LinkOptions,
    remote?: string,
  ) {
    this.socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    this.remote = remote ?? formatHostPort({ host: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 });
    const maxBacklog = options.maxLinkBacklog ?? DEFAULT_MAX_LINK_BACKLOG;
    this.writer = new FrameWriter(socket, maxBacklog, (bytes) => {
      this.fail(
        new SwitchboardError(
          ErrorCode.LinkBacklog,
          `the peer does not read: ${bytes} bytes are waiting for it, more than maxLinkBacklog (${maxBacklog})`,
        ),
      );
      // It will not read the goodbye either: let go of what is queued now.
      socket.destroy();
    });
    // Until the peer proved the secret only small handshake frames are accepted.
    this.decoder = new FrameDecoder((value, checked) => this.receive(value, checked), HANDSHAKE_MAX_FRAME_SIZE);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.write(chunk);
      } catch (err) {
        // Only the decoder throws here (receive catches what it calls), and the stream is out of step now.
        if (err instanceof SwitchboardError) return this.fail(err);
        this.internalError(err, 'decoding a frame');
        this.fail(new SwitchboardError(ErrorCode.Internal, 'internal error while decoding a frame', { cause: err }));
      }
    });
    socket.on('error', (err) => {
      this.closeError ??= new SwitchboardError(ErrorCode.ConnectionLost, err.message, { cause: err });
    });
    socket.on('close', () => this.finish());
  }

  get isOpen(): boolean {
    return !this.closed && this.handshakeStep === null && this.heartbeat !== null;
  }

  send(message: Message): void {
    if (this.closed) return;
    this.beforeSend?.();
    this.writer.sendFrame((this.compact && encodeCompact(message)) || encodeFrame(message));
  }

  /** Sends a message encoded once with encodeFrame, for the same message to many links. */
  sendFrame(frame: Buffer): void {
    if (this.closed) return;
    this.beforeSend?.();
    this.writer.sendFrame(frame);
  }

  /** Writes what is pending now instead of at the end of the tick. */
  flush(): void {
    if (!this.closed) this.writer.flush();
  }

  /** Flushes what is pending and closes cleanly. */
  close(): void {
    if (this.closed) return;
    this.writer.flush();
    this.socket.end();
    this.finish();
  }

  /**
   * Closes the link because of `err`: logs it once with the peer's address, tells the peer why (so its log
   * says the same), and leaves every other connection alone.
   */
  fail(err: SwitchboardError): void {
    if (this.closed) return;
    this.options.log.warn(`closing link to ${this.name || this.remote}: ${err.message}`, {
      code: err.code,
      peer: this.remote,
    });
    this.closeError = err;
    this.writer.sendFrame(encodeFrame({ cmd: Cmd.Error, code: err.code, message: err.message }));
    this.writer.flush();
    this.socket.end();
    // A peer that does not close its side is cut off shortly after.
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.heartbeat?.cancel();
    this.handshakeStep = null;
    this.onClose(this.closeError);
  }

  /** One decoded frame. Never throws: the decoder goes on with the next frame of the same chunk. */
  private receive(value: unknown, checked: boolean): void {
    if (this.closed) return;
    let message: Message;
    try {
      // A compact frame's decoder checked its fields as it read them.
      message = checked ? (value as Message) : parseMessage(value);
    } catch (err) {
      return this.fail(err as SwitchboardError);
    }
    this.heartbeat?.alive();
    try {
      if (this.handshakeStep) return this.handshakeStep(message);
      switch (message.cmd) {
        case Cmd.Ping:
          return this.send({ cmd: Cmd.Pong });
        case Cmd.Pong:
          return;
        case Cmd.Error:
          this.closeError = new SwitchboardError(
            peerErrorCode(message.code, ErrorCode.ConnectionLost),
            `${this.name} closed the link: ${message.message}`,
          );
          return;
        default:
          return this.onMessage(message);
      }
    } catch (err) {
      if (isPeerFault(err)) this.fail(err);
      else this.internalError(err, `handling ${cmdName(message.cmd)}`);
    }
  }

  /** Our own code failed on a valid message: a bug here, so the peer is neither blamed nor dropped. */
  private internalError(err: unknown, doing: string): void {
    const reason = err instanceof Error ? err.message : String(err);
    this.options.log.error(
      `internal error while ${doing} from ${this.name || this.remote}: ${reason}; the link stays open (a bug: please report it)`,
      { code: ErrorCode.Internal, peer: this.remote, error: err instanceof Error ? err : new Error(reason) },
    );
    try {
      this.options.onInternalError?.(err);
    } catch {
      // A failing counter must not turn one error into two.
    }
  }

  /**
   * Checks now that the peer still answers: pings it and closes the link (SB_ERR_LINK_TIMEOUT) unless
   * something arrives within one heartbeat interval. Used when a register reports the peer gone, so a dead
   * peer is dropped without waiting for the regular heartbeat; a live one just answers the ping.
   */
  probe(): void {
    if (this.isOpen) this.heartbeat?.probe(this.heartbeatInterval);
  }

  private get heartbeatInterval(): number {
    return this.options.heartbeatInterval ?? DEFAULT_HEARTBEAT_INTERVAL;
  }

  /** Marks the handshake done and starts the heartbeat. */
  private open(): void {
    this.handshakeStep = null;
    this.decoder.maxFrameSize = this.options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    const interval = this.heartbeatInterval;
    this.heartbeat = new Heartbeat(
      interval,
      HEARTBEAT_MAX_MISSED,
      () => this.send({ cmd: Cmd.Ping }),
      (why) =>
        this.fail(
          new SwitchboardError(
            ErrorCode.LinkTimeout,
            why === 'probe'
              ? `no answer to a probe within ${interval} ms`
              : `no heartbeat for ${interval * HEARTBEAT_MAX_MISSED} ms`,
          ),
        ),
    );
  }

  /**
   * Server side of the handshake on an accepted socket. `onOpen` runs once the peer proved the secret and
   * claimed one of `roles`; a wrong proof, another role or silence past the timeout closes the socket.
   */
  static accept(
    socket: LinkSocket,
    options: LinkOptions,
    serverRole: string,
    roles: readonly PeerRole[],
    onOpen: (link: Link) => void,
    gate?: HandshakeGate,
  ): Link | null {
    const admitted = gate ? gate.admit(socket) : null;
    if (gate && !admitted) return null;
    const link = new Link(socket, options);
    const serverNonce = newNonce();
    const timer = setTimeout(
      () => link.fail(new SwitchboardError(ErrorCode.AuthTimeout, 'no handshake within the time allowed')),
      options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
    );
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    link.handshakeStep = (message) => {
      clearTimeout(timer);
      if (message.cmd !== Cmd.Auth) {
        throw new SwitchboardError(ErrorCode.BadFrame, `expected Auth first, got ${cmdName(message.cmd)}`);
      }
      if (!proofMatches(clientProof(options.secret, serverNonce, message.nonce, message.role), message.proof)) {
        throw new SwitchboardError(
          ErrorCode.AuthFailed,
          `wrong secret from ${message.name || link.remote}: start every process with the same --secret`,
        );
      }
      if (!(roles as readonly string[]).includes(message.role)) {
        throw new SwitchboardError(ErrorCode.AuthFailed, `a ${serverRole} does not accept a ${message.role} here`);
      }
      link.role = message.role;
      link.name = message.name.slice(0, 200);
      // Compact frames both ways when the peer reads them too (it says which version it reads).
      const compact = message.compact === COMPACT_VERSION;
      const proof = serverProof(options.secret, message.nonce, serverNonce);
      link.send({
        cmd: Cmd.AuthOk,
        proof,
        ...(compact ? { compact: COMPACT_VERSION } : {}),
        ...(options.answersHistory ? { history: HISTORY_VERSION } : {}),
      });
      link.compact = compact;
      link.open();
      admitted?.passed();
      onOpen(link);
    };
    link.send({ cmd: Cmd.Hello, nonce: serverNonce, role: serverRole });
    return link;
  }

  /**
   * Connects to `address`, proves the secret as `role` and checks the server's proof in turn. `onOpen` runs
   * synchronously once the link is open, before any frame that came with the server's AuthOk is delivered,
   * so it must set `onMessage`/`onClose`. Rejects with the server's reason (e.g. SB_ERR_AUTH_FAILED) or a
   * connection error.
   */
  static connect(
    address: HostPort,
    options: LinkOptions,
    role: PeerRole,
    name: string,
    onOpen: (link: Link) => void,
  ): Promise<Link> {
    const socket = connectLinkSocket(address.host, address.port, options.tls);
    return Link.handshake(socket, formatHostPort(address), options, role, name, onOpen);
  }

  /** The client side of the handshake (see connect) on a socket being connected to `target`. */
  static handshake(
    socket: LinkSocket,
    target: string,
    options: LinkOptions,
    role: PeerRole,
    name: string,
    onOpen: (link: Link) => void,
  ): Promise<Link> {
    return new Promise((resolve, reject) => {
      const link = new Link(socket, options, target);
      const clientNonce = newNonce();
      let settled = false;
      const settle = (err?: SwitchboardError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(link);
      };
      const timer = setTimeout(() => {
        socket.destroy();
        settle(new SwitchboardError(ErrorCode.AuthTimeout, `${target} did not complete the handshake in time`));
      }, options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT);
      timer.unref();
      link.onClose = (err) =>
        settle(err ?? new SwitchboardError(ErrorCode.ConnectionLost, `${target} closed the connection`));
      let serverNonce: Uint8Array | null = null;
      link.handshakeStep = (message) => {
        if (message.cmd === Cmd.Error) {
          link.closeError = new SwitchboardError(
            peerErrorCode(message.code, ErrorCode.ConnectionLost),
            `${target} refused us: ${message.message}`,
          );
          return;
        }
        if (serverNonce === null && message.cmd === Cmd.Hello) {
          serverNonce = message.nonce;
          link.role = message.role;
          link.name = `${message.role} ${target}`;
          link.send({
            cmd: Cmd.Auth,
            role,
            name,
            nonce: clientNonce,
            proof: clientProof(options.secret, serverNonce, clientNonce, role),
            compact: COMPACT_VERSION,
          });
          return;
        }
        if (serverNonce !== null && message.cmd === Cmd.AuthOk) {
          if (!proofMatches(serverProof(options.secret, clientNonce, serverNonce), message.proof)) {
            throw new SwitchboardError(
              ErrorCode.AuthFailed,
              `${target} does not know our secret: start every process with the same --secret`,
            );
          }
          link.compact = message.compact === COMPACT_VERSION;
          link.peerAnswersHistory = message.history === HISTORY_VERSION;
          link.open();
          link.onClose = () => {};
          settle();
          onOpen(link);
          return;
        }
        throw new SwitchboardError(ErrorCode.BadFrame, `unexpected ${cmdName(message.cmd)} during the handshake`);
      };
    });
  }
}

/** Codes by which a handshake step or a message handler says the peer broke the protocol. */
const PEER_FAULTS: ReadonlySet<ErrorCode> = new Set([ErrorCode.BadFrame, ErrorCode.AuthFailed]);

function isPeerFault(err: unknown): err is SwitchboardError {
  return err instanceof SwitchboardError && PEER_FAULTS.has(err.code);
}
