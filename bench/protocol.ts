/**
 * The benchmark's text protocol, spoken by every server under test:
 *
 *   login:<uid>         bind the connection to uid, reply `ok`
 *   echo:<x>            reply with the same text
 *   touid:<uid>:<x>     send <x> to every connection bound to uid
 *   all:<x>             send <x> to every connection
 *   join:<g>            join group g, reply `ok`
 *   group:<g>:<x>       send <x> to every member of group g
 *
 * Uids and group names contain no colon; <x> may.
 */
export type BenchRequest =
  | { op: 'login'; uid: string }
  | { op: 'echo' }
  | { op: 'touid'; uid: string; data: string }
  | { op: 'all'; data: string }
  | { op: 'join'; group: string }
  | { op: 'group'; group: string; data: string };

/** The reply to `login:` and `join:`. */
export const OK = 'ok';

/** Parses one request; null for anything else (servers ignore it). */
export function parseRequest(text: string): BenchRequest | null {
  const colon = text.indexOf(':');
  if (colon < 0) return null;
  const rest = text.slice(colon + 1);
  switch (text.slice(0, colon)) {
    case 'echo':
      return { op: 'echo' };
    case 'all':
      return { op: 'all', data: rest };
    case 'login':
      return { op: 'login', uid: rest };
    case 'join':
      return { op: 'join', group: rest };
    case 'touid':
    case 'group': {
      const second = rest.indexOf(':');
      if (second < 0) return null;
      const name = rest.slice(0, second);
      const data = rest.slice(second + 1);
      return text.startsWith('touid') ? { op: 'touid', uid: name, data } : { op: 'group', group: name, data };
    }
    default:
      return null;
  }
}
