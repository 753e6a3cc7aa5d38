// A module resolution hook: adds the "switchboard-source" export condition, under which package.json maps
// `switchboard` to ./index.ts (the sources) instead of ./dist/index.js. Same as `node --conditions=switchboard-source`.
export async function resolve(specifier, context, nextResolve) {
  return nextResolve(specifier, { ...context, conditions: [...context.conditions, 'switchboard-source'] });
}
