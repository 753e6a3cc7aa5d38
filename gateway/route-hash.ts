/**
 * Rendezvous (highest random weight) hashing of route keys over worker names. Every gateway computes it alike
 * from the key and the names of the workers it has, with no shared state, so clients of one key meet one
 * worker whichever gateway holds them. When a worker joins, only the keys it now wins move to it; when one
 * leaves, only its keys move, each to its runner-up.
 */

/** FNV-1a over the UTF-16 units of `text`, from `seed`. */
function fnv1a(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's finaliser: FNV-1a alone leaves nearby names with nearby weights. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The weight of worker `name` for `key`: the worker with the highest weight gets the key. */
export function routeWeight(key: string, name: string): number {
  return mix(fnv1a(name, fnv1a(key, 0x811c9dc5) ^ 0x9e3779b9));
}

/**
 * The item whose name weighs most for `key`, or undefined when there is none. Equal weights (the same name
 * twice) go to the name that sorts first, then to the first given: names should be unique.
 */
export function pickByKey<T>(key: string, items: Iterable<T>, nameOf: (item: T) => string): T | undefined {
  let best: T | undefined;
  let bestWeight = -1;
  let bestName = '';
  for (const item of items) {
    const name = nameOf(item);
    const weight = routeWeight(key, name);
    if (weight > bestWeight || (weight === bestWeight && name < bestName)) {
      best = item;
      bestWeight = weight;
      bestName = name;
    }
  }
  return best;
}
