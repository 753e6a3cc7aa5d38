/**
 * @default 2048: names a NameSet keeps exactly (as strings) before it switches to 32-bit fingerprints.
 * Below it a directory answers without false positives; above it, it costs about 6 bytes per name.
 */
export const DEFAULT_EXACT_NAMES = 2048;

/** Fingerprint tables are never smaller than this many slots. */
const MIN_SLOTS = 1024;
/** Past this fill the table grows by GROW; below SHRINK_LOAD (and above MIN_SLOTS) it shrinks. */
const MAX_LOAD = 0.8;
const GROW = 1.5;
const SHRINK_LOAD = 0.2;

/**
 * The names (uids or groups) one gateway holds, as a subscriber keeps them: a multiset, fed by the gateway's
 * own "gained" and "lost" notices, which strictly alternate per name.
 *
 * While it holds at most `exactLimit` names it is an exact `Set`. Past that it keeps one 32-bit fingerprint
 * per name in an open-addressing table (linear probing, no tombstones: deletion shifts the run back), so
 * `has()` never says no for a name that was added and not removed: a false negative is impossible by
 * construction, since the table stores the fingerprint itself and two names with the same fingerprint are
 * two entries. A name that was never added answers yes only if its fingerprint equals a stored one, which
 * happens with probability about `size / 2^32` (0.023% at a million names): a send the gateway then drops.
 *
 * Slots are placed by `fingerprint * slots / 2^32` (any table size works, so it grows by 1.5, not 2), and
 * the table stays between 20% and 80% full: 5 to 7.5 bytes per name, 6.2 on average.
 */
export class NameSet {
  private exact: Set<string> | null = new Set();
  private slots = new Uint32Array(0);
  private count = 0;

  /** @param hash the fingerprint of a name, a non-zero uint32 (tests pass a weak one to force collisions). */
  constructor(
    private readonly exactLimit = DEFAULT_EXACT_NAMES,
    private readonly hash: (name: string) => number = fingerprint,
  ) {}

  /** Names held (entries, counting two with one fingerprint twice). */
  get size(): number {
    return this.exact ? this.exact.size : this.count;
  }

  /** Whether it still keeps names exactly (no false positives). */
  get isExact(): boolean {
    return this.exact !== null;
  }

  /** Bytes of the structure itself: the table, or an estimate for the exact Set (about 50 bytes a name). */
  get bytes(): number {
    if (this.exact) {
      let chars = 0;
      for (const name of this.exact) chars += name.length;
      return this.exact.size * 40 + chars;
    }
    return this.slots.byteLength;
  }

  add(name: string): void {
    const exact = this.exact;
    if (exact) {
      if (exact.size < this.exactLimit || exact.has(name)) return void exact.add(name);
      this.toFingerprints(exact);
    }
    this.insert(this.hash(name));
  }

  delete(name: string): void {
    if (this.exact) return void this.exact.delete(name);
    const slots = this.slots;
    const n = slots.length;
    const fp = this.hash(name);
    let i = home(fp, n);
    for (;;) {
      const v = slots[i]!;
      if (v === 0) return; // not held: the gateway never says "lost" for such a name, but stay safe
      if (v === fp) break;
      i = i + 1 === n ? 0 : i + 1;
    }
    this.removeAt(i);
    this.count--;
    if (n > MIN_SLOTS && this.count < n * SHRINK_LOAD) this.resize(Math.max(MIN_SLOTS, Math.ceil(this.count / 0.5)));
  }

  has(name: string): boolean {
    if (this.exact) return this.exact.has(name);
    const slots = this.slots;
    const n = slots.length;
    const fp = this.hash(name);
    for (let i = home(fp, n); ; i = i + 1 === n ? 0 : i + 1) {
      const v = slots[i]!;
      if (v === fp) return true;
      if (v === 0) return false;
    }
  }

  private toFingerprints(names: Set<string>): void {
    this.exact = null;
    this.slots = new Uint32Array(Math.max(MIN_SLOTS, Math.ceil((names.size * 2) / (MAX_LOAD + SHRINK_LOAD))));
    this.count = 0;
    for (const name of names) this.insert(this.hash(name));
  }

  private insert(fp: number): void {
    if (this.count + 1 > this.slots.length * MAX_LOAD) this.resize(Math.ceil(this.slots.length * GROW));
    place(this.slots, fp);
    this.count++;
  }

  private resize(size: number): void {
    const old = this.slots;
    this.slots = new Uint32Array(size);
    for (let i = 0; i < old.length; i++) if (old[i] !== 0) place(this.slots, old[i]!);
  }

  /** Empties slot `i` and moves later entries of its run back, so every entry stays reachable from its home. */
  private removeAt(i: number): void {
    const slots = this.slots;
    const n = slots.length;
    let hole = i;
    let j = i;
    for (;;) {
      j = j + 1 === n ? 0 : j + 1;
      const v = slots[j]!;
      if (v === 0) break;
      const h = home(v, n);
      // The entry at j may fill the hole unless its home lies cyclically in (hole, j].
      const homeAfterHole = hole <= j ? h > hole && h <= j : h > hole || h <= j;
      if (homeAfterHole) continue;
      slots[hole] = v;
      hole = j;
    }
    slots[hole] = 0;
  }
}

function place(slots: Uint32Array, fp: number): void {
  const n = slots.length;
  let i = home(fp, n);
  while (slots[i] !== 0) i = i + 1 === n ? 0 : i + 1;
  slots[i] = fp;
}

/** The home slot of a fingerprint: its position scaled to the table (deterministic and below n for any table size). */
const home = (fp: number, n: number) => Math.floor((fp * n) / 4294967296);

/** A 32-bit hash of a name, never 0 (the empty slot): FNV-1a over UTF-16 units, then murmur3's finalizer. */
export function fingerprint(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0 || 1;
}
