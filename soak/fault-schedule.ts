import type { SeededRandom } from './seeded-random.ts';

/** The roles a soak faults; `switchboard start` runs one register, the gateways and the business workers. */
export type SoakRole = 'register' | 'gateway' | 'business';

/**
 * What is done to a process: `kill` SIGKILL (the supervisor restarts it), `stop` SIGSTOP then SIGCONT after the
 * stop time, `restart` SIGTERM (a graceful stop, a worker drains; the supervisor starts it again), `reload`
 * `switchboard reload` (every worker replaced one at a time; business only).
 */
export type FaultKind = 'kill' | 'stop' | 'restart' | 'reload';

export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'stop', 'restart', 'reload'];
export const SOAK_ROLES: readonly SoakRole[] = ['register', 'gateway', 'business'];

/** One planned fault: at `at` ms after the load started, `kind` on copy `index` of `role`. */
export interface PlannedFault {
  at: number;
  kind: FaultKind;
  role: SoakRole;
  index: number;
}

export interface ScheduleOptions {
  /** ms of load; no fault is planned in the last `quietTail` ms, so the cluster is whole when the load stops. */
  duration: number;
  /** Mean ms between faults; each gap is drawn from [0.5, 1.5] × this. */
  every: number;
  quietTail: number;
  kinds: readonly FaultKind[];
  roles: readonly SoakRole[];
  /** Copies of each role in the cluster. */
  counts: Record<SoakRole, number>;
}

/**
 * Plans the faults of a run: rounds of every kind of fault in a shuffled order (so even a short run has each
 * kind early on), each kind taking its role from its own rounds of the roles (so every role gets every kind of
 * fault about as often as the others), at gaps drawn around `every`. The same seed gives the same plan.
 */
export function planFaults(random: SeededRandom, options: ScheduleOptions): PlannedFault[] {
  const plan: PlannedFault[] = [];
  const kinds = options.roles.includes('business') ? options.kinds : options.kinds.filter((k) => k !== 'reload');
  if (kinds.length === 0 || options.roles.length === 0 || options.every <= 0) return plan;
  let kindRound: FaultKind[] = [];
  const roleRounds = new Map<FaultKind, SoakRole[]>();
  let at = random.between(0.5, 1.5) * options.every;
  while (at < options.duration - options.quietTail) {
    if (kindRound.length === 0) kindRound = random.shuffle(kinds);
    const kind = kindRound.shift()!;
    let role: SoakRole = 'business';
    if (kind !== 'reload') {
      let round = roleRounds.get(kind) ?? [];
      if (round.length === 0) round = random.shuffle(options.roles);
      role = round.shift()!;
      roleRounds.set(kind, round);
    }
    plan.push({ at: Math.round(at), kind, role, index: kind === 'reload' ? 0 : random.int(options.counts[role]) });
    at += random.between(0.5, 1.5) * options.every;
  }
  return plan;
}

/** `gateway#1`, `business#0`; a reload is of every worker. */
export function faultTarget(fault: Pick<PlannedFault, 'kind' | 'role' | 'index'>): string {
  return fault.kind === 'reload' ? 'business (all)' : `${fault.role}#${fault.index}`;
}
