import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { GatewayMembership } from '../../gateway-api/gateway-membership.ts';
import { Cmd, parseMessage, type Message } from '../../shared/commands.ts';
import { encodeFrame } from '../../shared/frame-encoder.ts';
import { FrameDecoder } from '../../shared/frame-decoder.ts';

/** One size of the directory scenario. */
export interface DirectoryResult {
  uids: number;
  gateways: number;
  /** Heap and array-buffer bytes the subscriber's GatewayMemberships hold, per uid (measured after a GC). */
  bytesPerUid: number;
  /** What the tables themselves take per uid (NameSet.bytes). */
  tableBytesPerUid: number;
  /** Share of "does this gateway hold uid X?" checks for a uid it does not hold that answered yes. */
  falsePositiveRate: number;
  /**
   * CPU time (user + system, ms) for the subscriber to take in every gateway's snapshot: decode the frames,
   * fill the tables. CPU rather than wall time, so other work on a shared machine does not count.
   */
  snapshotMs: number;
  /** Snapshot bytes on the wire, all gateways. */
  snapshotBytes: number;
  line: string;
}

/** Names per snapshot frame, as the gateway's MembershipFeed cuts them (about 64 KiB of characters). */
const SNAPSHOT_CHUNK_CHARS = 64 * 1024;
const PROBES = 1_000_000;

/** A `gc()` even when node was not started with --expose-gc. */
function collect(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}
const heapBytes = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/**
 * directory: what one subscriber (a worker, GatewayClient or HTTP API) keeps to route uid sends, for `size`
 * uids spread over several gateways. The real wire and data structures without sockets: each gateway's
 * snapshot is cut and encoded the way MembershipFeed does it, then decoded and taken in by a
 * GatewayMembership per gateway, exactly as over a link.
 */
export function directoryRun(size: number): DirectoryResult {
  // A million uids per gateway at the largest size, and at least four gateways.
  const gateways = Math.max(4, Math.ceil(size / 1_000_000));
  collect();
  const before = heapBytes();
  const memberships: GatewayMembership[] = [];
  let snapshotUs = 0;
  let snapshotBytes = 0;
  for (let g = 0; g < gateways; g++) {
    const membership = new GatewayMembership();
    memberships.push(membership);
    const decoder = new FrameDecoder((value) => membership.receive(parseMessage(value)), 1 << 24);
    const take = (frame: Buffer) => {
      snapshotBytes += frame.length;
      const t = process.cpuUsage();
      decoder.write(frame);
      const d = process.cpuUsage(t);
      snapshotUs += d.user + d.system;
    };
    let uids: string[] = [];
    let chars = 0;
    const send = () => {
      const update: Message = { cmd: Cmd.MembershipUpdate, uids, uidsGone: [], groups: [], groupsGone: [] };
      take(encodeFrame(update));
      uids = [];
      chars = 0;
    };
    // Uid i lives on gateway i % gateways: names look like an app's (`user-1234567`).
    for (let i = g; i < size; i += gateways) {
      const uid = `user-${i}`;
      uids.push(uid);
      chars += uid.length + 1;
      if (chars >= SNAPSHOT_CHUNK_CHARS) send();
    }
    if (uids.length > 0) send();
    take(encodeFrame({ cmd: Cmd.MembershipSynced }));
  }
  collect();
  const bytes = heapBytes() - before;
  const tableBytes = memberships.reduce((sum, m) => sum + m.uids.bytes, 0);

  // Uids held nowhere, asked of every gateway: each "yes" is a send a gateway would drop.
  let maybes = 0;
  let checks = 0;
  for (let i = 0; i < PROBES; i++) {
    const uid = `user-${size + i}`;
    for (const m of memberships) {
      checks++;
      if (m.uids.has(uid)) maybes++;
    }
  }
  // Every held uid must be found (no false negatives): checked on a sample so the run stays short.
  const step = Math.max(1, Math.floor(size / 200_000));
  for (let i = 0; i < size; i += step) {
    if (!memberships[i % gateways]!.uids.has(`user-${i}`)) throw new Error(`directory missed uid user-${i}`);
  }
  const falsePositiveRate = maybes / checks;
  const bytesPerUid = bytes / size;
  const snapshotMs = snapshotUs / 1000;
  const pct = falsePositiveRate * 100;
  const line =
    `directory: ${size} uids, ${bytesPerUid.toFixed(1)} bytes per uid per subscriber, ` +
    `${pct < 0.01 && pct > 0 ? pct.toFixed(4) : pct.toFixed(2)}% false positives, ${Math.round(snapshotMs)} ms snapshot`;
  memberships.length = 0;
  return {
    uids: size,
    gateways,
    bytesPerUid: round(bytesPerUid, 2),
    tableBytesPerUid: round(tableBytes / size, 2),
    falsePositiveRate: round(falsePositiveRate, 7),
    snapshotMs: round(snapshotMs, 1),
    snapshotBytes,
    line,
  };
}

const round = (n: number, digits: number) => Number(n.toFixed(digits));

/** Every size in turn (the largest, 10 million, needs about 1 GB while its names are generated). */
export function directoryScenario(sizes: readonly number[], log: (line: string) => void): DirectoryResult[] {
  const results: DirectoryResult[] = [];
  for (const size of sizes) {
    const result = directoryRun(size);
    log(`  ${result.line} (${result.gateways} gateways, tables ${result.tableBytesPerUid} bytes per uid)`);
    results.push(result);
  }
  return results;
}
