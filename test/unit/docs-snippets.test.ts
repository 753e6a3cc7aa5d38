// The documentation is checked like code: every ```ts block of README.md and docs/*.md type-checks under the
// strict settings an app gets from `tsc --init` (with `switchboard` and `switchboard/client` resolved to this
// repository's sources), every page under docs/ is linked from the README, and every relative link and
// #anchor in the pages points at something that exists.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { docPages, docSnippets, extractSnippets } from '../helpers/doc-snippets.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'switchboard-doc-snippets-'));

/** The browser library's declarations in this repository (its folder was `client/`, now `browser-client/`). */
function clientEntry(): string {
  const candidates = ['browser-client/types/index.d.ts', 'client/types/index.d.ts', 'browser-client/index.js'];
  const found = candidates.map((path) => join(root, path)).find((path) => existsSync(path));
  assert.ok(found, `no declarations of switchboard/client among ${candidates.join(', ')}`);
  return found;
}

/** `tsc --init` (TypeScript 5.9) with the Node settings it suggests, as an app's tsconfig would be. */
function appTsconfig(): object {
  return {
    compilerOptions: {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'esnext',
      lib: ['esnext'],
      types: ['node'],
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      strict: true,
      verbatimModuleSyntax: true,
      isolatedModules: true,
      noUncheckedSideEffectImports: true,
      moduleDetection: 'force',
      skipLibCheck: true,
      // Only to read this repository's .ts sources in place of the package's declarations.
      noEmit: true,
      allowImportingTsExtensions: true,
      paths: { switchboard: [join(root, 'index.ts')], 'switchboard/client': [clientEntry()] },
    },
    include: ['*.ts'],
  };
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The lines of a page outside fenced code blocks. */
function proseLines(text: string): { line: string; number: number }[] {
  const out: { line: string; number: number }[] = [];
  let fence: string | null = null;
  text.split('\n').forEach((line, i) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (fence === null || (marker.startsWith(fence) && line.trim() === marker))) {
      fence = fence === null ? marker : null;
      return;
    }
    if (fence === null) out.push({ line, number: i + 1 });
  });
  return out;
}

function anchorsOf(path: string): Set<string> {
  const anchors = new Set<string>();
  for (const { line } of proseLines(readFileSync(path, 'utf8'))) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    let anchor = slug(heading);
    for (let n = 1; anchors.has(anchor); n++) anchor = `${slug(heading)}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}

/** Every link target of a page's prose (not of its code blocks), with its line. */
function linksOf(page: string): { target: string; number: number }[] {
  const links: { target: string; number: number }[] = [];
  for (const { line, number } of proseLines(readFileSync(join(root, page), 'utf8'))) {
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) links.push({ target: match[1]!, number });
  }
  return links;
}

describe('documentation', () => {
  after(() => rmSync(work, { recursive: true, force: true }));

  it('every ts block type-checks under an app’s strict tsconfig', () => {
    const files = extractSnippets(work);
    assert.ok(files.length >= 5, `only ${files.length} ts blocks found`);
    writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'doc-snippets', type: 'module' }));
    writeFileSync(join(work, 'tsconfig.json'), JSON.stringify(appTsconfig(), null, 2));
    symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const run = spawnSync(process.execPath, [tsc, '-p', work, '--pretty', 'false'], { cwd: work, encoding: 'utf8' });
    // Each diagnostic starts unindented; its explanation follows on indented lines.
    const diagnostics: string[] = [];
    for (const line of (run.stdout + run.stderr).split('\n')) {
      if (line.trim() === '') continue;
      if (/^\s/.test(line) && diagnostics.length > 0) diagnostics[diagnostics.length - 1] += `\n${line}`;
      else diagnostics.push(line);
    }
    // Report each error at its place in the page (the fence is line 0 of the block, the file's header line 1).
    // Errors inside this repository's sources under the app's stricter flags are not the examples' fault: the
    // package ships declarations, which the packaged-app test checks under these flags.
    const snippets = new Map(docSnippets().map((s, i) => [files[i]!, s]));
    const errors = diagnostics.flatMap((diagnostic) => {
      const at = /^(.+?\.ts)\((\d+),(\d+)\): ([^]*)$/.exec(diagnostic);
      if (!at) return [diagnostic];
      const snippet = snippets.get(resolve(work, at[1]!));
      if (!snippet) return resolve(work, at[1]!).startsWith(work) ? [diagnostic] : [];
      const pageLine = snippet.line + Number(at[2]) - 1;
      return [`${snippet.page}:${pageLine}:${at[3]} (ts block ${snippet.index}): ${at[4]}`];
    });
    assert.deepEqual(errors, [], `tsc found errors in the documentation's examples:\n${errors.join('\n')}`);
    assert.ok(run.status === 0 || run.status === 2, `tsc failed to run: ${run.stderr}`);
  });

  it('the README links every page under docs/', () => {
    const linked = new Set(
      linksOf('README.md').map(({ target }) => relative(root, resolve(root, target.split('#')[0]!))),
    );
    const missing = docPages()
      .filter((page) => page !== 'README.md')
      .filter((page) => !linked.has(page));
    assert.deepEqual(missing, [], 'pages not linked from README.md');
  });

  it('every relative link and anchor points at something that exists', () => {
    const broken: string[] = [];
    for (const page of docPages()) {
      for (const { target, number } of linksOf(page)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
        const [path = '', anchor] = target.split('#');
        const file = path === '' ? join(root, page) : resolve(dirname(join(root, page)), decodeURIComponent(path));
        if (!existsSync(file)) {
          broken.push(`${page}:${number}: ${target} (no such file)`);
        } else if (anchor !== undefined && file.endsWith('.md') && statSync(file).isFile()) {
          if (!anchorsOf(file).has(anchor)) broken.push(`${page}:${number}: ${target} (no such heading)`);
        }
      }
    }
    assert.deepEqual(broken, []);
  });
});
