import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isLoopback } from '../shared/address.ts';

/** The cookie a browser gets once it opened the dashboard with `?token=T`, so the page's own requests carry it. */
export const TOKEN_COOKIE = 'switchboard_dashboard_token';

/** What a request may do: see the dashboard, be sent to the same URL without its `?token=` (setting the cookie), or nothing. */
export type Access = { allowed: true; setCookie: boolean } | { allowed: false; status: 401 | 403; reason: string };

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Compares in constant time (over the digests, so the lengths do not leak either). */
function sameToken(given: string, token: string): boolean {
  return timingSafeEqual(digest(given), digest(token));
}

/** The token a request carries: `Authorization: Bearer T`, the dashboard's cookie, or `?token=T`. */
function tokenOf(req: IncomingMessage, url: URL): { token: string; fromQuery: boolean } | null {
  const header = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
  if (header) return { token: header[1]!.trim(), fromQuery: false };
  const query = url.searchParams.get('token');
  if (query) return { token: query, fromQuery: true };
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return { token: decodeURIComponent(value.join('=')), fromQuery: false };
  }
  return null;
}

/** The host name of a Host header (`127.0.0.1:7271`, `[::1]:7271`, `localhost`). */
function hostName(header: string | undefined): string {
  const value = header ?? '';
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return bracketed[1]!;
  return value.replace(/:\d+$/, '');
}

/**
 * Who may see the dashboard. With a token: whoever presents it. Without one (loopback only): requests whose
 * Host is a loopback address or `localhost`, so a web page in the user's browser cannot read the dashboard
 * through a domain of its own that resolves to 127.0.0.1 (DNS rebinding).
 */
export function checkAccess(req: IncomingMessage, url: URL, token: string | null): Access {
  if (token === null) {
    return isLoopback(hostName(req.headers.host))
      ? { allowed: true, setCookie: false }
      : {
          allowed: false,
          status: 403,
          reason: 'open the dashboard by its loopback address, e.g. http://127.0.0.1:7271/',
        };
  }
  const given = tokenOf(req, url);
  if (!given || !sameToken(given.token, token)) {
    return {
      allowed: false,
      status: 401,
      reason: 'this dashboard needs its token: open it once as /?token=T (the --dashboard-token of start)',
    };
  }
  return { allowed: true, setCookie: given.fromQuery };
}
