/** The built app's files (dist/), served after every API route. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { Hono } from 'hono';
import { HttpError } from '../errors.ts';
import type { Env } from '../routes/context.ts';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Serves the files under `appDir` (`/` is its index.html); anything outside it, or missing, is a 404. */
export function serveApp(app: Hono<Env>, appDir: string): void {
  const root = resolve(appDir);
  const index = join(root, 'index.html');
  app.get('*', (c) => {
    let path: string;
    try {
      path = decodeURIComponent(c.req.path);
    } catch {
      throw new HttpError(400, 'The path is not valid.');
    }
    const file = resolve(root, `.${path}`);
    const inside = file === root || file.startsWith(`${root}/`);
    const target = path === '/' ? index : file;
    if (!inside || !existsSync(target) || !statSync(target).isFile()) return c.text(`Not found: ${path}`, 404);
    const type = MIME[extname(target).toLowerCase()] ?? 'application/octet-stream';
    const data = readFileSync(target);
    return c.body(data, 200, { 'Content-Type': type, 'Cache-Control': target === index ? 'no-cache' : 'public, max-age=3600' });
  });
}
