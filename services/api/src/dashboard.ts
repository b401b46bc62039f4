import { statSync } from 'node:fs';
import * as path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Serves the built dashboard (services/dashboard/dist, `vite build`) at `/`: its files as they are
 * on disk (hashed assets cached for a year, index.html never), and index.html for every other GET
 * path that names no file, so the single-page app's own paths load it. The API's own paths (/v1,
 * /health, /ready, /openapi.json, /reference) and missing files keep the API's problem 404. When
 * dist is missing, a 503 page says to run `npm run build`.
 */

/** Where `vite build` writes the dashboard, from services/api/src or services/api/dist alike. */
export const DASHBOARD_DIST = path.resolve(__dirname, '../../dashboard/dist');

const API_PATHS = /^\/(v1|health|ready|openapi\.json|reference|docs)(\/|$|\?)/;

/** The dashboard's HTML: a strict policy (its scripts and styles only; Mermaid and uPlot set inline styles). */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const notBuiltPage = (dist: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>interlend: dashboard not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>The dashboard is not built</h1>
<p>The API is running, but <code>${escapeHtml(dist)}</code> has no <code>index.html</code>.</p>
<p>Build it with <code>npm run build</code> at the repository root (or <code>npm run build -w @interlend/dashboard</code>), then reload this page.</p>
<p>The API itself answers under <a href="/v1/me">/v1</a>; its reference is at <a href="/reference">/reference</a>.</p>
</body></html>
`;

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

export interface DashboardOptions {
  /** The built dashboard; default {@link DASHBOARD_DIST} (or INTERLEND_DASHBOARD_DIR). */
  readonly root?: string;
}

export async function dashboardPlugin(app: FastifyInstance, options: DashboardOptions = {}): Promise<void> {
  const root = path.resolve(options.root ?? process.env.INTERLEND_DASHBOARD_DIR ?? DASHBOARD_DIST);
  await app.register(fastifyStatic, { serve: false });

  const index = (reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').header('content-security-policy', CONTENT_SECURITY_POLICY).header('x-content-type-options', 'nosniff').sendFile('index.html', root, { cacheControl: false });

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const urlPath = request.url.split('?')[0] ?? '/';
    if (API_PATHS.test(urlPath)) return reply.callNotFound();
    if (!isFile(path.join(root, 'index.html'))) {
      return reply.code(503).header('cache-control', 'no-store').header('retry-after', '10').type('text/html; charset=utf-8').send(notBuiltPage(root));
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return reply.callNotFound();
    }
    const file = path.resolve(root, `.${decoded}`);
    if (file !== root && !file.startsWith(root + path.sep)) return reply.callNotFound();
    const relative = path.relative(root, file);
    if (relative !== '' && relative !== 'index.html' && isFile(file)) {
      const hashed = relative.startsWith(`assets${path.sep}`);
      return reply
        .header('x-content-type-options', 'nosniff')
        .sendFile(relative, root, hashed ? { maxAge: '365d', immutable: true } : { maxAge: 0 });
    }
    // A path that names a file (has an extension) but no file: a real 404, not the app.
    if (path.extname(decoded) !== '' && relative !== 'index.html') return reply.callNotFound();
    return index(reply);
  };

  const config = { rateLimit: false as const };
  app.get('/', { config, schema: { hide: true } }, handler);
  app.get('/*', { config, schema: { hide: true } }, handler);
}
