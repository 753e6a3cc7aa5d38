// Several "hosts" for multi-host tests: network namespaces on a bridge when the machine allows it, else
// separate loopback addresses with cut-offs simulated by freezing processes. Tests use the same calls either way.
import type { ChildProcess } from 'node:child_process';
import { NamespaceNetwork, removeLeftovers } from './network-namespaces.ts';
import { RoleProcess } from './processes.ts';

export interface HostSpec {
  name: string;
  /** Last byte of the host's addresses: 10.77.0.N and fd77::N with namespaces, 127.0.0.N on loopback. */
  n: number;
}

/** One test host. */
export interface TestHost {
  readonly name: string;
  /** The IPv4 address roles on this host listen on and connect from. */
  readonly ipv4: string;
  /** Its IPv6 address, or null in the loopback fallback (which keeps to its own 127.0.0.x addresses). */
  readonly ipv6: string | null;
  /** Command prefix that runs a program on this host (empty on loopback). */
  readonly wrap: readonly string[];
  /** Runs `switchboard …args` on this host. */
  run(name: string, args: string[], env?: NodeJS.ProcessEnv): RoleProcess;
  /** Registers another process running on this host, so a cut-off freezes it too on loopback. */
  adopt(proc: ChildProcess): void;
}

export interface TestLab {
  readonly mode: 'namespaces' | 'loopback';
  /** Why namespaces are not used (loopback mode only). */
  readonly fallbackReason: string | null;
  /** How a cut-off is made, for test output. */
  readonly cutOffMethod: string;
  host(name: string): TestHost;
  /** Disconnects a host without a FIN or RST reaching anyone. */
  cut(name: string): void;
  restore(name: string): void;
  /** Undoes every cut-off and removes what the lab created. */
  destroy(): void;
}

const SUBNET4 = '10.77.0.';
const SUBNET6 = 'fd77::';

class NamespaceLab implements TestLab {
  readonly mode = 'namespaces';
  readonly fallbackReason = null;
  readonly cutOffMethod = 'the host\u2019s veth is set down at the bridge (link down: no FIN, no RST)';
  private readonly network = new NamespaceNetwork();
  private readonly hosts = new Map<string, TestHost>();

  constructor(specs: readonly HostSpec[]) {
    this.network.create(specs.map(({ name, n }) => ({ name, ipv4: `${SUBNET4}${n}/24`, ipv6: `${SUBNET6}${n}/64` })));
    for (const { name, n } of specs) {
      const wrap = this.network.wrap(name);
      this.hosts.set(name, {
        name,
        ipv4: `${SUBNET4}${n}`,
        ipv6: `${SUBNET6}${n}`,
        wrap,
        run: (proc, args, env = {}) => new RoleProcess(proc, args, env, wrap),
        adopt: () => {},
      });
    }
  }

  host(name: string): TestHost {
    return this.hosts.get(name) ?? missing(name);
  }

  cut(name: string): void {
    this.network.cut(name);
  }

  restore(name: string): void {
    this.network.restore(name);
  }

  destroy(): void {
    this.network.destroy();
  }
}

class LoopbackLab implements TestLab {
  readonly mode = 'loopback';
  readonly cutOffMethod =
    'every process of the host is frozen with SIGSTOP (its peers see silence, as with a pulled cable)';
  private readonly hosts = new Map<string, TestHost>();
  private readonly processes = new Map<string, ChildProcess[]>();
  private readonly frozen = new Set<string>();

  constructor(
    specs: readonly HostSpec[],
    readonly fallbackReason: string,
  ) {
    for (const { name, n } of specs) {
      const procs: ChildProcess[] = [];
      this.processes.set(name, procs);
      this.hosts.set(name, {
        name,
        ipv4: `127.0.0.${n}`,
        ipv6: null,
        wrap: [],
        run: (proc, args, env = {}) => {
          const role = new RoleProcess(proc, args, env);
          procs.push(role.proc);
          return role;
        },
        adopt: (proc) => procs.push(proc),
      });
    }
  }

  host(name: string): TestHost {
    return this.hosts.get(name) ?? missing(name);
  }

  cut(name: string): void {
    this.frozen.add(name);
    this.signal(name, 'SIGSTOP');
  }

  restore(name: string): void {
    this.frozen.delete(name);
    this.signal(name, 'SIGCONT');
  }

  destroy(): void {
    for (const name of [...this.frozen]) this.restore(name);
  }

  private signal(name: string, signal: NodeJS.Signals): void {
    for (const proc of this.processes.get(name) ?? []) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    }
  }
}

function missing(name: string): never {
  throw new Error(`no test host named ${name}`);
}

/**
 * Builds the hosts: namespaces 10.77.0.N / fd77::N on a bridge when `fallbackReason` is null (see
 * namespaceSupport; leftovers of a crashed earlier run are removed first), else loopback 127.0.0.N.
 * `loopbackRange` guards the addresses the fallback may use.
 */
export function createLab(
  specs: readonly HostSpec[],
  fallbackReason: string | null,
  loopbackRange: readonly [number, number],
): TestLab {
  if (fallbackReason === null) {
    removeLeftovers();
    return new NamespaceLab(specs);
  }
  for (const { name, n } of specs) {
    if (n < loopbackRange[0] || n > loopbackRange[1]) {
      throw new Error(`host ${name}: 127.0.0.${n} is outside 127.0.0.${loopbackRange[0]}-${loopbackRange[1]}`);
    }
  }
  return new LoopbackLab(specs, fallbackReason);
}
