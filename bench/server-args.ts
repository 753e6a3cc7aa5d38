/** `--listen HOST:PORT` of a bench server process (port 0 = any free port). */
export function listenArg(argv: readonly string[]): { host: string; port: number } {
  const i = argv.indexOf('--listen');
  const value = i >= 0 ? argv[i + 1] : undefined;
  const match = value ? /^([\d.]+):(\d+)$/.exec(value) : null;
  if (!match) throw new Error('usage: --listen HOST:PORT (an IPv4 address; port 0 picks a free one)');
  return { host: match[1]!, port: Number(match[2]) };
}

/** Tells the parent the server is up: one JSON line on stdout that server-process.ts waits for. */
export function announceReady(port: number): void {
  process.stdout.write(JSON.stringify({ msg: 'bench server ready', port }) + '\n');
}

/** Exits cleanly on SIGTERM/SIGINT, so `--cpu-prof` can write its profile. */
export function exitOnSignal(close: () => void): void {
  const stop = () => {
    close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
