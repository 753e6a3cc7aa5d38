import { randomBytes } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { formatHostPort, type HostPort } from './address.ts';
import { ErrorCode, SwitchboardError } from './errors.ts';

/**
 * Client ids are opaque hex strings that carry the owning gateway's inner address, so any worker routes
 * `sendToClient(id)` straight to that gateway with no lookup and no shared store:
 *
 *   version(1) | family(1: 4 or 6) | address(4 or 16) | port(2) | instance(4) | sequence(6)     (bytes)
 *
 * `instance` is random per gateway process start, so ids stay unique across gateway restarts (an id stored
 * in a database never points at a stranger who got the same number later).
 */

const VERSION = 1;
const IPV4_HEX = 2 * (1 + 1 + 4 + 2 + 4 + 6);
const IPV6_HEX = 2 * (1 + 1 + 16 + 2 + 4 + 6);

function addressBytes(host: string): Buffer {
  if (isIPv4(host)) return Buffer.from(host.split('.').map(Number));
  if (isIPv6(host) && host.includes('%')) {
    throw new SwitchboardError(
      ErrorCode.InvalidOption,
      `"${host}" has a zone (%): link-local addresses only work on one link; use a global or ULA address (e.g. fd00::5)`,
    );
  }
  if (isIPv6(host)) {
    // An embedded IPv4 tail (::ffff:10.0.0.5) is two groups written in dotted form.
    const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(host);
    if (dotted) {
      const [a, b, c, d] = dotted[2]!.split('.').map(Number) as [number, number, number, number];
      host = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
    }
    const [head = '', tail = ''] = host.includes('::') ? host.split('::') : [host, ''];
    const headParts = head ? head.split(':') : [];
    const tailParts = tail ? tail.split(':') : [];
    const groups = host.includes('::')
      ? [...headParts, ...Array(8 - headParts.length - tailParts.length).fill('0'), ...tailParts]
      : headParts;
    const out = Buffer.alloc(16);
    groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
    return out;
  }
  throw new SwitchboardError(
    ErrorCode.InvalidOption,
    `"${host}" is not an IP address: a gateway's inner address (--lan-ip) must be an IPv4 or IPv6 literal`,
  );
}

function formatIPv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // Compress the longest run of zero groups, as the canonical text form does.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

/** The canonical text of an IP literal (`0:0:0:0:0:0:0:1` -> `::1`), so address keys compare equal. */
export function canonicalIp(host: string): string {
  const bytes = addressBytes(host);
  return bytes.length === 4 ? Array.from(bytes).join('.') : formatIPv6(bytes);
}

/** Issues the client ids of one gateway process. */
export class ClientIdFactory {
  /** Every id of this factory is this prefix and a 12-digit hex sequence number. */
  readonly prefix: string;
  private sequence = 0;

  constructor(inner: HostPort, instance: Buffer = randomBytes(4)) {
    const address = addressBytes(inner.host);
    const head = Buffer.alloc(2 + address.length + 2 + 4);
    head.writeUInt8(VERSION, 0);
    head.writeUInt8(address.length === 4 ? 4 : 6, 1);
    address.copy(head, 2);
    head.writeUInt16BE(inner.port, 2 + address.length);
    instance.copy(head, 4 + address.length, 0, 4);
    this.prefix = head.toString('hex');
  }

  next(): string {
    this.sequence++;
    return this.prefix + this.sequence.toString(16).padStart(12, '0');
  }
}

/** The gateway inner address encoded in a client id, or throws SB_ERR_INVALID_CLIENT_ID. */
export function decodeClientId(id: string): HostPort {
  const valid =
    typeof id === 'string' &&
    (id.length === IPV4_HEX || id.length === IPV6_HEX) &&
    /^[0-9a-f]+$/.test(id) &&
    id.startsWith('01') &&
    ((id.length === IPV4_HEX && id.slice(2, 4) === '04') || (id.length === IPV6_HEX && id.slice(2, 4) === '06'));
  if (!valid) {
    throw new SwitchboardError(
      ErrorCode.InvalidClientId,
      `"${String(id).slice(0, 80)}" is not a Switchboard client id (ids come from onConnect or the Gateway API)`,
    );
  }
  const bytes = Buffer.from(id, 'hex');
  const v4 = bytes[1] === 4;
  const addressLength = v4 ? 4 : 16;
  const address = bytes.subarray(2, 2 + addressLength);
  const host = v4 ? Array.from(address).join('.') : formatIPv6(address);
  return { host, port: bytes.readUInt16BE(2 + addressLength) };
}

/** The routing key (`host:port`) of the gateway that owns a client id; null when the id is not valid. */
export function gatewayOf(id: string): string | null {
  try {
    return formatHostPort(decodeClientId(id));
  } catch {
    return null;
  }
}
