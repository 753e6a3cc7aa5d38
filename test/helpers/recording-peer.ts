import { Cmd, type Message } from '../../shared/commands.ts';

/** A worker's end of a gateway link, driven without sockets: it records the events the router sends it. */
export class RecordingPeer {
  readonly sent: Message[] = [];
  constructor(readonly name: string) {}
  send(msg: Message): void {
    this.sent.push(msg);
  }
  /** The events sent, as `client:kind[:data]`, and forgets them. */
  take(): string[] {
    const out = this.sent.map((m) => {
      if (m.cmd === Cmd.EvConnect) return `${m.client}:connect`;
      if (m.cmd === Cmd.EvMessage) return `${m.client}:message:${String(m.data)}`;
      if (m.cmd === Cmd.EvClose) return `${m.client}:close`;
      return m.cmd === Cmd.WorkerDrained ? 'drained' : `cmd ${m.cmd}`;
    });
    this.sent.length = 0;
    return out;
  }
}
