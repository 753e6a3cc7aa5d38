/**
 * The cookies of a Cookie request header (or of several), as `{ name: value }`: values percent-decoded where
 * they decode, surrounding quotes removed; the first of two cookies with one name wins, as browsers send the
 * most specific first. Never throws, whatever the client sent.
 */
export function parseCookies(header: string | string[] | undefined): Record<string, string> {
  // A Map, then fromEntries: a cookie named __proto__ becomes an own property, not the object's prototype.
  const out = new Map<string, string>();
  if (header === undefined) return {};
  for (const line of Array.isArray(header) ? header : [header]) {
    for (const pair of line.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      if (name === '' || out.has(name)) continue;
      let value = pair.slice(eq + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      out.set(name, decode(value));
    }
  }
  return Object.fromEntries(out);
}

function decode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
