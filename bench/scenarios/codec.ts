import { Cmd, parseMessage, type Message } from '../../shared/commands.ts';
import { encodeCompact } from '../../shared/frame-compact.ts';
import { FrameDecoder } from '../../shared/frame-decoder.ts';
import { encodeFrame } from '../../shared/frame-encoder.ts';

/** One command of the hot path, encoded and decoded both ways. */
export interface CodecResult {
  name: string;
  /** CPU µs to encode one frame and decode it again (as a Link does: FrameDecoder, then the command table). */
  msgpackUs: number;
  compactUs: number;
  msgpackBytes: number;
  compactBytes: number;
  line: string;
}

/** A client id as a gateway on 127.0.0.1:40001 makes it. */
const CLIENT = '01047f0000019c41a1b2c3d4000000000001';
/** What the bench's echo sends: a sequence number and a monotonic timestamp. */
const PAYLOAD = 'echo:1234567:81234567.123';

/** The messages of one echo round trip and one touid delivery, as the gateway and the worker send them. */
const HOT: [name: string, msg: Message][] = [
  [
    'EvMessage (client event)',
    { cmd: Cmd.EvMessage, client: CLIENT, uid: null, session: {}, data: PAYLOAD, ip: '127.0.0.60', port: 40_001 },
  ],
  [
    'EvMessage, logged in, 2 ahead',
    {
      cmd: Cmd.EvMessage,
      client: CLIENT,
      uid: 'user-17',
      session: {},
      data: `touid:user-3:${PAYLOAD}`,
      ip: '127.0.0.60',
      port: 40_001,
      ahead: 2,
    },
  ],
  ['SendToClients (reply)', { cmd: Cmd.SendToClients, clients: [CLIENT], data: PAYLOAD }],
  ['SendToUids (touid)', { cmd: Cmd.SendToUids, uids: ['user-3'], data: PAYLOAD }],
  ['EventDone', { cmd: Cmd.EventDone, client: CLIENT }],
];

/** CPU µs (user + system) per call of `fn`, the least of several rounds (the least disturbed by other work). */
function cpuUsPer(fn: () => void, calls: number, rounds: number): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = process.cpuUsage();
    for (let i = 0; i < calls; i++) fn();
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / calls);
  }
  return best;
}

/**
 * codec: what the internal wire costs per message, without sockets: each hot command encoded (msgpack map, or
 * the compact layout of frame-compact.ts) and decoded again through a FrameDecoder and the command table, as
 * on a link. CPU time of this process only, so other work on the machine disturbs it far less than the
 * socket scenarios.
 */
export function codecScenario(calls: number, log: (line: string) => void): CodecResult[] {
  const results: CodecResult[] = [];
  let sink = 0;
  const decoder = new FrameDecoder((value, checked) => {
    const msg = checked ? (value as Message) : parseMessage(value);
    sink += msg.cmd;
  });
  for (const [name, msg] of HOT) {
    const msgpackFrame = encodeFrame(msg);
    const compactFrame = encodeCompact(msg)!;
    const msgpackUs = cpuUsPer(() => decoder.write(encodeFrame(msg)), calls, 3);
    const compactUs = cpuUsPer(() => decoder.write(encodeCompact(msg)!), calls, 3);
    const line =
      `codec: ${name}: msgpack ${msgpackUs.toFixed(3)} µs, ${msgpackFrame.length} bytes; ` +
      `compact ${compactUs.toFixed(3)} µs, ${compactFrame.length} bytes (${(compactUs / msgpackUs).toFixed(2)}× the CPU)`;
    log(`  ${line}`);
    results.push({
      name,
      msgpackUs,
      compactUs,
      msgpackBytes: msgpackFrame.length,
      compactBytes: compactFrame.length,
      line,
    });
  }
  if (sink === 0) throw new Error('nothing decoded');
  return results;
}
