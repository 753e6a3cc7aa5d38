/**
 * The TypeScript examples of the documentation (README.md and docs/*.md), as files a type check can run over.
 *
 * Every ```ts (or ```typescript) block is one snippet. A block whose fence reads ```ts no-check is left out: a
 * deliberately partial example. Each snippet becomes one ES module named after where it comes from
 * (`docs-guide.md-03-L120.ts`: the third ts block of docs/guide.md, starting on line 120), so a type error
 * names the page and the block.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** One ```ts block of a page. */
export interface DocSnippet {
  /** The page, relative to the repository root: `README.md`, `docs/guide.md`. */
  page: string;
  /** 1 for the page's first ts block, counting only the blocks that are checked. */
  index: number;
  /** Line of the opening fence in the page (1-based). */
  line: number;
  code: string;
}

/** The pages that are documentation: README.md and every docs/*.md, in a stable order. */
export function docPages(root: string = repoRoot): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/** Every checked ts block of every page. */
export function docSnippets(root: string = repoRoot): DocSnippet[] {
  const snippets: DocSnippet[] = [];
  for (const page of docPages(root)) {
    const lines = readFileSync(join(root, page), 'utf8').split('\n');
    let index = 0;
    for (let i = 0; i < lines.length; i++) {
      const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)\b(.*)$/.exec(lines[i]!);
      if (!open) continue;
      const [, indent = '', fence = '```', , info = ''] = open;
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length; j++) {
        const line = lines[j]!;
        if (line.trimStart().startsWith(fence) && line.trim() === fence[0]!.repeat(line.trim().length)) break;
        body.push(line.startsWith(indent) ? line.slice(indent.length) : line);
      }
      if (!/\bno-check\b/.test(info)) snippets.push({ page, index: ++index, line: i + 1, code: body.join('\n') });
      i = j;
    }
  }
  return snippets;
}

/** The file name a snippet is written under: page, block number and line, e.g. `docs-guide.md-03-L120.ts`. */
export function snippetFileName(snippet: DocSnippet): string {
  const page = snippet.page.replaceAll('/', '-');
  return `${page}-${String(snippet.index).padStart(2, '0')}-L${snippet.line}.ts`;
}

/**
 * Writes every checked ts block of the documentation into `outDir` (created if needed), one ES module each,
 * and returns the paths written. The folder needs a package.json with `"type": "module"` and a tsconfig to be
 * type-checked; where `switchboard` resolves from is up to that tsconfig (this repository's sources, or an
 * installed package).
 */
export function extractSnippets(outDir: string, root: string = repoRoot): string[] {
  mkdirSync(outDir, { recursive: true });
  return docSnippets(root).map((snippet) => {
    const path = join(outDir, snippetFileName(snippet));
    // A block with no import or export would be a script sharing one global scope with every other such block.
    const isModule = /^\s*(import|export)\s/m.test(snippet.code);
    const header = `// ${relative(root, join(root, snippet.page))}, ts block ${snippet.index} (line ${snippet.line})\n`;
    writeFileSync(path, header + snippet.code + (isModule ? '\n' : '\nexport {};\n'));
    return path;
  });
}
