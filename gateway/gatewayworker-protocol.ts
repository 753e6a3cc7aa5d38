import { isIPv4 } from 'node:net';
import { ErrorCode, SwitchboardError } from '../shared/errors.ts';

/**
 * GatewayWorker's binary gateway protocol, as PHP's GatewayClient speaks it to a gateway: the packet codec and
 * the GatewayWorker form of client ids. No I/O here (the listener is gatewayworker-listener.ts).
 *
 * A packet is a 28-byte big-endian header, then `ext_data`, then the body:
 *
 *   pack_len u32 | cmd u8 | local_ip u32 | local_port u16 | client_ip u32 | client_port u16 |
 *   connection_id u32 | flag u8 | gateway_port u16 | ext_len u32 | ext_data[ext_len] | body[pack_len - 28 - ext_len]
 *
 * `pack_len` counts the whole packet, header included. The body is raw bytes when `flag` has BodyIsScalar,
 * else a PHP-serialized value. Answers to queries are framed differently: a u32 length (of what follows only)
 * and a PHP-serialized value.
 */
export const GW_HEAD_LEN = 28;

/** @default 16 MiB: a packet declaring more is refused before its body is read. */
export const DEFAULT_GW_MAX_PACKET = 16 * 1024 * 1024;

/** GatewayWorker's command numbers, as its GatewayProtocol declares them (those a GatewayClient sends). */
export const GwCmd = {
  // Gateway -> BusinessWorker events: never accepted from a GatewayClient.
  OnConnect: 1,
  OnMessage: 3,
  OnClose: 4,
  SendToOne: 5,
  SendToAll: 6,
  Kick: 7,
  Destroy: 8,
  UpdateSession: 9,
  GetAllClientSessions: 10,
  IsOnline: 11,
  BindUid: 12,
  UnbindUid: 13,
  SendToUid: 14,
  GetClientIdByUid: 15,
  BatchGetClientIdByUid: 16,
  JoinGroup: 20,
  LeaveGroup: 21,
  SendToGroup: 22,
  GetClientSessionsByGroup: 23,
  GetClientCountByGroup: 24,
  Select: 25,
  GetGroupIdList: 26,
  Ungroup: 27,
  BatchGetClientCountByGroup: 28,
  WorkerConnect: 200,
  Ping: 201,
  GatewayClientConnect: 202,
  GetSessionByClientId: 203,
  SetSession: 204,
  OnWebSocketConnect: 205,
} as const;

export type GwCmd = (typeof GwCmd)[keyof typeof GwCmd];

/** Packet flags. */
export const GwFlag = {
  /** The body is raw bytes, not PHP-serialized. */
  BodyIsScalar: 0x01,
  /** "Send without the client protocol's encode": meaningless for WebSocket clients here, ignored. */
  NotCallEncode: 0x02,
} as const;

const names = Object.fromEntries(Object.entries(GwCmd).map(([k, v]) => [v, k])) as Record<number, string>;

/** The command's name for logs, e.g. `SendToUid`. */
export function gwCmdName(cmd: number): string {
  return names[cmd] ?? `unknown(${cmd})`;
}

/** One decoded packet; `extData` and `body` are views into the received bytes. */
export interface GwPacket {
  cmd: number;
  localIp: number;
  localPort: number;
  clientIp: number;
  clientPort: number;
  connectionId: number;
  flag: number;
  gatewayPort: number;
  extData: Buffer;
  body: Buffer;
}

/**
 * Cuts a byte stream into whole packets. A declared length below the header or above `maxPacket`, or an
 * `ext_len` that does not fit, throws SB_ERR_FRAME_TOO_LARGE / SB_ERR_NOT_GATEWAYCLIENT before the body
 * is buffered; after a throw the decoder must not be used again (the connection is closed).
 */
export class GwPacketDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxPacket: number = DEFAULT_GW_MAX_PACKET) {}

  /** Bytes held for an incomplete packet. */
  get pending(): number {
    return this.buffered;
  }

  /** Feeds bytes; returns the packets completed by them, in order. */
  write(chunk: Buffer): GwPacket[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: GwPacket[] = [];
    while (this.buffered >= 4) {
      const head = this.peek(Math.min(this.buffered, GW_HEAD_LEN));
      const length = head.readUInt32BE(0);
      if (length > this.maxPacket) {
        throw new SwitchboardError(
          ErrorCode.FrameTooLarge,
          `GatewayWorker packet of ${length} bytes is above the limit of ${this.maxPacket}`,
        );
      }
      if (length < GW_HEAD_LEN) {
        throw new SwitchboardError(
          ErrorCode.NotGatewayClient,
          `GatewayWorker packet declares ${length} bytes, less than its ${GW_HEAD_LEN}-byte header`,
        );
      }
      if (head.length >= GW_HEAD_LEN && head.readUInt32BE(24) > length - GW_HEAD_LEN) {
        throw new SwitchboardError(
          ErrorCode.NotGatewayClient,
          `GatewayWorker packet of ${length} bytes declares ${head.readUInt32BE(24)} bytes of ext_data`,
        );
      }
      if (this.buffered < length) break;
      out.push(decodePacket(this.take(length)));
    }
    return out;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!;
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined;
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const packet = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return packet;
  }
}

/** One whole packet (exactly `pack_len` bytes, already checked by the decoder). */
function decodePacket(bytes: Buffer): GwPacket {
  const extLength = bytes.readUInt32BE(24);
  return {
    cmd: bytes.readUInt8(4),
    localIp: bytes.readUInt32BE(5),
    localPort: bytes.readUInt16BE(9),
    clientIp: bytes.readUInt32BE(11),
    clientPort: bytes.readUInt16BE(15),
    connectionId: bytes.readUInt32BE(17),
    flag: bytes.readUInt8(21),
    gatewayPort: bytes.readUInt16BE(22),
    extData: bytes.subarray(GW_HEAD_LEN, GW_HEAD_LEN + extLength),
    body: bytes.subarray(GW_HEAD_LEN + extLength),
  };
}

/** The bytes of a packet (what GatewayClient sends; used by tests and tools). Absent fields are 0 or empty. */
export function encodePacket(packet: Partial<GwPacket> & { cmd: number }): Buffer {
  const ext = packet.extData ?? Buffer.alloc(0);
  const body = packet.body ?? Buffer.alloc(0);
  const head = Buffer.alloc(GW_HEAD_LEN);
  head.writeUInt32BE(GW_HEAD_LEN + ext.length + body.length, 0);
  head.writeUInt8(packet.cmd, 4);
  head.writeUInt32BE(packet.localIp ?? 0, 5);
  head.writeUInt16BE(packet.localPort ?? 0, 9);
  head.writeUInt32BE(packet.clientIp ?? 0, 11);
  head.writeUInt16BE(packet.clientPort ?? 0, 15);
  head.writeUInt32BE(packet.connectionId ?? 0, 17);
  head.writeUInt8(packet.flag ?? 0, 21);
  head.writeUInt16BE(packet.gatewayPort ?? 0, 22);
  head.writeUInt32BE(ext.length, 24);
  return Buffer.concat([head, ext, body]);
}

/** An answer to a query: a u32 length, then the PHP-serialized value. */
export function encodeAnswer(serialized: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(serialized.length, 0);
  return Buffer.concat([head, serialized]);
}

/**
 * GatewayWorker client ids are 20 hex digits: the gateway's IPv4 address (4 bytes), its port (2) and a
 * connection id (4), and GatewayClient takes them apart to know which gateway to call. A Switchboard client id
 * maps onto one with this gateway's GatewayWorker address and, as the connection id, the low 32 bits of the
 * id's sequence number; the gateway maps it back with its own id prefix, so no table is kept.
 */
export class GatewayWorkerIds {
  private readonly head: string;

  /**
   * @param address the GatewayWorker listener's advertised IPv4 address and port
   * @param prefix the part of this gateway's Switchboard ids before the 12-digit sequence
   */
  constructor(
    address: { host: string; port: number },
    private readonly prefix: string,
  ) {
    if (!isIPv4(address.host)) {
      throw new SwitchboardError(
        ErrorCode.InvalidOption,
        `--gatewayworker-port needs an IPv4 --lan-ip (GatewayWorker's client ids hold an IPv4 address), got ${address.host}`,
      );
    }
    const bytes = Buffer.alloc(6);
    address.host.split('.').forEach((part, i) => bytes.writeUInt8(Number(part), i));
    bytes.writeUInt16BE(address.port, 4);
    this.head = bytes.toString('hex');
  }

  /** The connection id GatewayWorker's protocol names the client by: the sequence's low 32 bits. */
  connectionIdOf(clientId: string): number {
    return parseInt(clientId.slice(-8), 16);
  }

  /** The 20-digit GatewayWorker client id PHP gets for one of this gateway's clients. */
  toGatewayWorker(clientId: string): string {
    return this.head + clientId.slice(-8);
  }

  /** The Switchboard id of the client a connection id names (whether or not it is connected). */
  fromConnectionId(connectionId: number): string {
    return this.prefix + connectionId.toString(16).padStart(12, '0');
  }
}
