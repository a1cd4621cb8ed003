/**
 * A Hugging Face Hub on loopback for the e2e tests: the Hub's URL layout (`/<owner>/<repo>/resolve/<revision>/<path>`)
 * over folders of this machine, answering as huggingface.co does where the studio can tell: CORS with the exposed
 * headers, ETag and Range (206 with Content-Range, 416), large files through a redirect to a "CDN" path, and the
 * Hub's X-Error-Code on refusals (401 RepoNotFound for an unknown repo, 404 RevisionNotFound / EntryNotFound).
 * Switches: cut the next transfer of a file after some bytes (the socket is destroyed, as a dropped connection),
 * and pace transfers so progress can be watched. Every request is logged.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join, normalize } from 'node:path';

export interface HubRequest {
  method: string;
  /** Repo-relative file path ("stories260K.gguf"), or the raw URL path for anything else. */
  file: string;
  url: string;
  range: string | null;
  status: number;
}

export interface TestRepo {
  /** The folder served as the repo's root. */
  dir: string;
  /** Paths (relative to dir) the repo does not have. */
  without?: string[];
}

/** Files redirected to the "CDN", as the Hub does with LFS files. */
const LFS = /\.(gguf|safetensors)$/;

const EXPOSED = 'ETag, Content-Range, Content-Length, Accept-Ranges, X-Error-Code, X-Error-Message, X-Repo-Commit, X-Linked-Size';

export class TestHub {
  readonly requests: HubRequest[] = [];
  private readonly cuts = new Map<string, number>();
  private pace: { chunkBytes: number; delayMs: number } | null = null;
  private server: Server | null = null;

  constructor(private readonly repos: Record<string, TestRepo>) {}

  /** The next transfer of `file` (in any repo) stops after `afterBytes` bytes of body, the connection destroyed. */
  cutNextTransfer(file: string, afterBytes: number): void {
    this.cuts.set(file, afterBytes);
  }

  /** Sends bodies in chunks of `chunkBytes` with a pause between them (null: as fast as possible). */
  setPace(pace: { chunkBytes: number; delayMs: number } | null): void {
    this.pace = pace;
  }

  clearLog(): void {
    this.requests.length = 0;
  }

  async start(port: number): Promise<void> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(error));
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private log(req: IncomingMessage, file: string, status: number): void {
    this.requests.push({ method: req.method ?? 'GET', file, url: req.url ?? '', range: header(req, 'range'), status });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', EXPOSED);
    const url = new URL(req.url ?? '/', 'http://hub');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Headers': 'Range, If-Range', 'Access-Control-Allow-Methods': 'GET, HEAD' });
      this.log(req, url.pathname, 204);
      res.end();
      return;
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const cdn = /^\/cdn\/([^/]+\/[^/]+)\/(.+)$/.exec(url.pathname);
    const match = resolve ?? cdn;
    if (!match) return this.refuse(req, res, url.pathname, 404, 'EntryNotFound', 'Not a Hub path');
    const repoId = decodeURIComponent(match[1]);
    const file = (resolve ? match[3] : match[2]).split('/').map(decodeURIComponent).join('/');
    const repo = this.repos[repoId];
    if (!repo) return this.refuse(req, res, file, 401, 'RepoNotFound', 'Repository not found');
    if (resolve && decodeURIComponent(match[2]) !== 'main') {
      return this.refuse(req, res, file, 404, 'RevisionNotFound', 'Invalid rev id');
    }
    const path = normalize(join(repo.dir, file));
    const size = await stat(path).then((s) => (s.isFile() ? s.size : -1), () => -1);
    if (!path.startsWith(normalize(repo.dir)) || size < 0 || repo.without?.includes(file)) {
      return this.refuse(req, res, file, 404, 'EntryNotFound', `${file} does not exist on "main"`);
    }
    if (resolve && LFS.test(file)) {
      res.writeHead(302, { Location: `/cdn/${repoId}/${file}`, 'X-Linked-Size': String(size) });
      this.log(req, file, 302);
      res.end();
      return;
    }
    await this.send(req, res, file, await readFile(path));
  }

  private refuse(req: IncomingMessage, res: ServerResponse, file: string, status: number, code: string, message: string): void {
    res.writeHead(status, { 'X-Error-Code': code, 'X-Error-Message': message, 'Content-Type': 'text/plain' });
    this.log(req, file, status);
    res.end(message);
  }

  private async send(req: IncomingMessage, res: ServerResponse, file: string, bytes: Buffer): Promise<void> {
    const etag = `"${createHash('sha256').update(bytes).digest('hex')}"`;
    const range = header(req, 'range');
    let start = 0;
    let status = 200;
    const headers: Record<string, string> = { ETag: etag, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
    if (range) {
      const m = /^bytes=(\d+)-$/.exec(range);
      start = m ? Number(m[1]) : bytes.length;
      if (start >= bytes.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${bytes.length}` });
        this.log(req, file, 416);
        res.end();
        return;
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`;
    }
    const body = bytes.subarray(start);
    headers['Content-Length'] = String(body.length);
    res.writeHead(status, headers);
    this.log(req, file, status);
    if (req.method === 'HEAD') return void res.end();
    const cut = this.cuts.get(file);
    if (cut !== undefined) this.cuts.delete(file);
    const end = cut !== undefined ? Math.min(cut, body.length) : body.length;
    const chunk = this.pace?.chunkBytes ?? body.length;
    for (let at = 0; at < end; at += chunk) {
      if (at > 0 && this.pace) await sleep(this.pace.delayMs);
      if (res.destroyed) return;
      await new Promise<void>((ok) => res.write(body.subarray(at, Math.min(end, at + chunk)), () => ok()));
    }
    if (cut !== undefined) {
      // Let the bytes reach the browser, then drop the connection mid-body.
      await sleep(100);
      res.destroy();
      return;
    }
    res.end();
  }
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
