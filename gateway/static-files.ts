import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RouteHandler } from './http-server.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** A file read once at startup and served from memory, so no request ever reaches the file system. */
export interface StaticFile {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** Reads a .html, .js or .css file for `serveFile`. */
export async function readStaticFile(url: URL): Promise<StaticFile> {
  const path = fileURLToPath(url);
  const contentType = CONTENT_TYPES[extname(path)];
  if (!contentType) throw new Error(`${path}: only .html, .js and .css files are served`);
  const body = await readFile(path);
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, contentType, etag };
}

/**
 * Serves one file. Browsers revalidate it on each load (`no-cache`) and get 304 when it did not change, so a
 * new version of the gateway is picked up at once.
 */
export function serveFile(file: StaticFile, headers: Record<string, string> = {}): RouteHandler {
  return (req, res) => {
    const common = { ETag: file.etag, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff', ...headers };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, common);
      res.end();
      return;
    }
    res.writeHead(200, { ...common, 'Content-Type': file.contentType, 'Content-Length': file.body.length });
    res.end(file.body);
  };
}
