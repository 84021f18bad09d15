/**
 * The dashboard (docs/api.md, "GET /api/dashboard/"): a page in the browser that lists copies, follows one live,
 * starts and cancels them. Served by the app itself, so it is the same on the local host and in
 * Azure:
 *
 *   GET /api/dashboard/                the page (src/web/index.html)
 *   GET /api/dashboard/assets/{file}   its scripts and styles (src/web/) and the libraries it
 *                                      loads from node_modules (preact, htm, uPlot)
 *
 * These routes are anonymous on purpose: they serve code, never a fact about a copy. Everything
 * the page shows or does goes through the copies API (copiesApi.ts), which wants the function
 * key; the page asks for the key when the API does, and sends it in the x-functions-key header,
 * never in a URL (so it lands in no access log, history or Referer). A browser cannot add a
 * header to the requests it makes for <script> and <link>, so keyed assets would need the key
 * in their URLs.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';

/** The page's own files: plain ES modules and CSS, served as they are (no build step). */
const WEB_DIR = path.join(__dirname, '..', '..', '..', 'src', 'web');

const libraryDir = (entry: string) => path.dirname(require.resolve(entry));

/** The libraries the page imports (runtime dependencies, so a deployed app has them), by the name it asks for. */
const LIBRARIES: Record<string, () => string> = {
  'preact.mjs': () => path.join(libraryDir('preact'), 'preact.mjs'),
  'hooks.mjs': () => path.join(libraryDir('preact/hooks'), 'hooks.mjs'),
  'htm.mjs': () => path.join(libraryDir('htm'), 'htm.module.js'),
  'uPlot.esm.js': () => path.join(libraryDir('uplot'), 'uPlot.esm.js'),
  'uPlot.min.css': () => path.join(libraryDir('uplot'), 'uPlot.min.css'),
};

/** A file the page may load: one of its own scripts or styles, or a library. Nothing else is served. */
function locateAsset(name: string): string | undefined {
  if (/^[\w-]+\.(mjs|css)$/.test(name) && fs.existsSync(path.join(WEB_DIR, name))) return path.join(WEB_DIR, name);
  return Object.hasOwn(LIBRARIES, name) ? LIBRARIES[name]() : undefined;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

interface ServedFile {
  body: string;
  type: string;
  etag: string;
}

/** Read at each request (they are small): an edited file shows at once, and its ETag says when it has not changed. */
function readServed(file: string): ServedFile {
  const body = fs.readFileSync(file, 'utf8');
  return { body, type: TYPES[path.extname(file)] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

/** The page runs only its own files and talks only to its own origin. */
function securityHeaders(page: ServedFile): Record<string, string> {
  // The page's inline scripts (its import map) run by their sha256 hashes.
  const inlineScriptHashes = [...page.body.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].filter((m) => m[1].trim()).map((m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`);
  const csp = [
    "default-src 'none'",
    `script-src 'self' ${inlineScriptHashes.join(' ')}`.trim(),
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { 'content-security-policy': csp, 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' };
}

function serveFile(request: HttpRequest, file: string, extraHeaders?: (read: ServedFile) => Record<string, string>): HttpResponseInit {
  const read = readServed(file);
  // no-cache: the browser asks again each time and gets a 304 while the file is the same, so a new deployment shows at once.
  const headers = { 'content-type': read.type, etag: read.etag, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', ...extraHeaders?.(read) };
  if (request.headers.get('if-none-match') === read.etag) return { status: 304, headers };
  return { status: 200, headers, body: read.body };
}

const notFound = (what: string): HttpResponseInit => ({ status: 404, jsonBody: { code: 'NOT_FOUND', message: `The dashboard has no ${what}.` } });

/** A deployment without the page's files (src/web/ left out of the package, a library not installed): the caller and the log say which. */
function filesMissing(context: InvocationContext, reason: string): HttpResponseInit {
  context.error(`The dashboard cannot serve its files: ${reason}`);
  return { status: 500, jsonBody: { code: 'INTERNAL', message: "The dashboard's files are not in this deployment: it needs src/web/ and the preact, htm and uplot packages beside the app." } };
}

app.http('dashboard', {
  route: 'dashboard/{*path}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async (request, context) => {
    if (!fs.existsSync(WEB_DIR)) return filesMissing(context, `${WEB_DIR} does not exist`);
    try {
      return serveDashboard(request);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return filesMissing(context, (err as Error).message);
      throw err;
    }
  },
});

function serveDashboard(request: HttpRequest): HttpResponseInit {
  const url = new URL(request.url);
  const rest = request.params.path ?? '';
  if (rest === '') {
    // The page's relative URLs (assets/..., ../copies) resolve against a path that ends with '/'.
    if (!url.pathname.endsWith('/')) return { status: 308, headers: { location: `${url.pathname}/${url.search}` } };
    return serveFile(request, path.join(WEB_DIR, 'index.html'), securityHeaders);
  }
  const name = /^assets\/([^/]+)$/.exec(rest)?.[1];
  const file = name === undefined ? undefined : locateAsset(name);
  if (!file) return notFound(`file ${JSON.stringify(rest)}`);
  return serveFile(request, file);
}
