import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface StaticFile {
  type: string;
  body: Buffer;
}

/**
 * The example frontend: the files of `public/`, read once at startup and served by exact name, so
 * no request path ever reaches the file system. `/` is `index.html`.
 */
export function loadStaticFiles(): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const dir = findPublicDir();
  if (!dir) return files;
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type) files.set(name === 'index.html' ? '/' : `/${name}`, { type, body: readFileSync(join(dir, name)) });
  }
  return files;
}

/** `public/` at the package root, from `src/http` (tests) or `dist/src/http` (built). */
function findPublicDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++) {
    if (existsSync(join(dir, 'package.json'))) return existsSync(join(dir, 'public')) ? join(dir, 'public') : undefined;
    dir = dirname(dir);
  }
  return undefined;
}

/** The page talks to its own origin only. */
export const EXAMPLE_PAGE_CSP =
  "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
