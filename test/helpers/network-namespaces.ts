// Test hosts made of Linux network namespaces: one namespace per host, each with an `eth0` veth whose other
// end sits on a bridge in a hub namespace (the switch). Nothing is created in the root namespace, so deleting
// the namespaces removes every veth and the bridge with them. Needs root (CAP_NET_ADMIN) and iproute2.
import { spawnSync } from 'node:child_process';

/** Every namespace these tests create is named `sbt-<pid of the test process>-<host>`. */
export const NAMESPACE_PREFIX = 'sbt-';
const OURS = /^sbt-(\d+)-[a-z0-9]+$/;

export interface NamespaceHostSpec {
  name: string;
  /** With prefix length, e.g. 10.77.0.11/24. */
  ipv4: string;
  /** With prefix length, e.g. fd77::11/64. */
  ipv6: string;
}

interface IpResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  missing: boolean;
}

function ip(...args: string[]): IpResult {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: (r.stderr ?? '').trim(), missing };
}

function must(...args: string[]): string {
  const r = ip(...args);
  if (!r.ok) throw new Error(`ip ${args.join(' ')} failed: ${r.missing ? 'no `ip` command' : r.stderr}`);
  return r.stdout;
}

function namespaces(): string[] {
  const r = ip('netns', 'list');
  if (!r.ok) return [];
  return r.stdout
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter(Boolean);
}

/** Kills what still runs inside a namespace, then deletes it (which removes its veths). */
function removeNamespace(ns: string): void {
  const pids = ip('netns', 'pids', ns).stdout.split('\n').filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  ip('netns', 'delete', ns);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Why network namespaces cannot be used here (no `ip`, no permission, no veth support), or null when they
 * can. Set SWITCHBOARD_TEST_NETNS=0 to ask for the loopback fallback anyway.
 */
export function namespaceSupport(): string | null {
  if (process.env.SWITCHBOARD_TEST_NETNS === '0') return 'SWITCHBOARD_TEST_NETNS=0 asks for the loopback fallback';
  if (process.platform !== 'linux') return `network namespaces are a Linux feature (this is ${process.platform})`;
  const probe = `${NAMESPACE_PREFIX}${process.pid}-probe`;
  const added = ip('netns', 'add', probe);
  if (added.missing) return 'iproute2 is not installed (no `ip` command): apt-get install -y iproute2';
  if (!added.ok) return `cannot create a network namespace (${added.stderr}): run as root or with CAP_NET_ADMIN`;
  try {
    const veth = ip('-n', probe, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1');
    if (!veth.ok) return `cannot create a veth pair (${veth.stderr})`;
    const bridge = ip('-n', probe, 'link', 'add', 'b0', 'type', 'bridge');
    if (!bridge.ok) return `cannot create a bridge (${bridge.stderr})`;
    return null;
  } finally {
    removeNamespace(probe);
  }
}

/**
 * Deletes the namespaces (and kills the processes in them) left behind by an earlier run that crashed:
 * those whose test process is gone. A run still going on elsewhere keeps its own. Returns what was removed.
 */
export function removeLeftovers(): string[] {
  const removed: string[] = [];
  for (const ns of namespaces()) {
    const owner = OURS.exec(ns);
    if (!owner || alive(Number(owner[1]))) continue;
    removeNamespace(ns);
    removed.push(ns);
  }
  return removed;
}

/** A switched LAN of namespace hosts, for one test file. */
export class NamespaceNetwork {
  private readonly created: string[] = [];
  private readonly onExit = () => this.destroy();

  /** The namespace that holds the bridge. */
  readonly hub: string;

  constructor(private readonly tag = String(process.pid)) {
    this.hub = this.ns('hub');
  }

  /** The namespace of host `name`. */
  ns(name: string): string {
    return `${NAMESPACE_PREFIX}${this.tag}-${name}`;
  }

  /** Creates the hub with its bridge, then each host wired to it. Partial work is undone on failure. */
  create(hosts: readonly NamespaceHostSpec[]): void {
    // Whatever happens to the test process, its namespaces do not outlive it.
    process.once('exit', this.onExit);
    try {
      this.add(this.hub);
      must('-n', this.hub, 'link', 'add', 'br0', 'type', 'bridge');
      must('-n', this.hub, 'link', 'set', 'br0', 'up');
      for (const host of hosts) {
        const ns = this.ns(host.name);
        this.add(ns);
        must(
          'link',
          'add',
          'eth0',
          'netns',
          ns,
          'type',
          'veth',
          'peer',
          'name',
          this.port(host.name),
          'netns',
          this.hub,
        );
        must('-n', this.hub, 'link', 'set', this.port(host.name), 'master', 'br0', 'up');
        must('-n', ns, 'link', 'set', 'lo', 'up');
        must('-n', ns, 'addr', 'add', host.ipv4, 'dev', 'eth0');
        // nodad: usable at once, and again right after the link comes back.
        must('-n', ns, 'addr', 'add', host.ipv6, 'dev', 'eth0', 'nodad');
        must('-n', ns, 'link', 'set', 'eth0', 'up');
      }
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  /** `ip netns exec NS`: runs a program on host `name` (it execs in place, so the pid stays the same). */
  wrap(name: string): string[] {
    return ['ip', 'netns', 'exec', this.ns(name)];
  }

  /** Pulls host `name`'s cable at the switch: its peers see silence, never a FIN or RST. */
  cut(name: string): void {
    must('-n', this.hub, 'link', 'set', this.port(name), 'down');
  }

  /** Plugs host `name` back in. */
  restore(name: string): void {
    must('-n', this.hub, 'link', 'set', this.port(name), 'up');
  }

  /** Kills what runs in the namespaces and deletes them; safe to call twice. */
  destroy(): void {
    process.removeListener('exit', this.onExit);
    for (const ns of this.created.splice(0).reverse()) removeNamespace(ns);
  }

  private add(ns: string): void {
    must('netns', 'add', ns);
    this.created.push(ns);
  }

  private port(name: string): string {
    return `v-${name}`;
  }
}
