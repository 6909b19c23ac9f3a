/**
 * The client side of the long-lived connection check, run for real: bash and curl against an
 * HTTP server on 127.0.0.1 that keeps connections alive, cuts a download short, or resets the
 * idle connection when its second request comes (what a new MASTER without connection sync
 * does); then the verdicts on what the script logged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  clientScript, DOWNLOAD_BYTES, judgeDownload, judgeKeepAlive, parseLongLived,
} from '../../../src/verify/longlived.js';

const file = randomBytes(DOWNLOAD_BYTES);
const sum = createHash('sha256').update(file).digest('hex');
const sums = new Map([['web1', sum], ['web2', 'f'.repeat(64)]]);
const pages = new Map([['web1', '11111'], ['web2', '22222']]);

/** A server answering `/` with 11111 and `/dl.bin` with the file; `cut` breaks what it names. */
function server(cut: { download?: boolean; secondRequest?: boolean; closeIdle?: boolean }): Promise<Server> {
  const s = createServer((req, res) => {
    const sock = req.socket as typeof req.socket & { seen?: number };
    sock.seen = (sock.seen ?? 0) + 1;
    if (req.url === '/dl.bin') {
      if (!cut.download) return res.end(file);
      res.writeHead(200, { 'content-length': String(file.length) });
      res.write(file.subarray(0, 100_000), () => setTimeout(() => sock.resetAndDestroy(), 50));
      return;
    }
    if (cut.secondRequest && sock.seen === 2) return sock.resetAndDestroy();
    // an idle timeout: the server ends the connection (FIN) a little after its answer
    res.end('11111\n', () => cut.closeIdle && setTimeout(() => sock.end(), 100));
  });
  s.keepAliveTimeout = 30_000;
  return new Promise((ok) => s.listen(0, '127.0.0.1', () => ok(s)));
}

/** Runs the client script; lets the idle connection go on once its first answer is logged. */
async function runClient(port: number, rate = 100 * 1024 * 1024): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'harun-longlived-'));
  const prefix = join(dir, 'x');
  try {
    const script = clientScript('127.0.0.1', port, '/dl.bin', prefix, 20, rate);
    const child = spawn('bash', ['-c', script], { stdio: 'ignore' });
    const exited = new Promise((ok) => child.on('exit', ok));
    for (let i = 0; i < 100 && !/^(answer|error) 1 /m.test(read(`${prefix}.log`)); i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 400));
    writeFileSync(`${prefix}.go`, '');
    await exited;
    return read(`${prefix}.log`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function read(f: string): string {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
}

/** Judges with the fault just before the second request and the takeover right after it. */
function judge(log: string) {
  const p = parseLongLived(log);
  assert.ok(p.done, log);
  const first = p.exchanges.find((e) => e.n === 1)!;
  const fault = first.at + 1;
  return { p, download: judgeDownload(p.download, sums, p.download!.start + 1, p.download!.start + 2), keep: judgeKeepAlive(p.exchanges, pages, fault, fault + 1) };
}

test('long-lived connections: an intact download and an idle connection answered twice pass', async () => {
  const s = await server({});
  try {
    const { p, download, keep } = judge(await runClient((s.address() as AddressInfo).port));
    assert.equal(p.download!.bytes, DOWNLOAD_BYTES);
    assert.equal(p.download!.sha256, sum);
    assert.equal(download.status, 'pass', download.detail);
    assert.match(download.detail, /intact from web1/);
    assert.deepEqual(p.exchanges.map((e) => [e.n, e.ok, e.what, e.body]), [[1, true, '200', '11111'], [2, true, '200', '11111']]);
    assert.equal(keep.status, 'pass', keep.detail);
    assert.match(keep.detail, /request 2 on the same connection answered by web1/);
  } finally {
    s.close();
  }
});

test('long-lived connections: the download is read at the rate even over loopback, where curl\'s --limit-rate alone lets it through in a burst', async () => {
  const s = await server({});
  try {
    const p = parseLongLived(await runClient((s.address() as AddressInfo).port, 1024 * 1024));
    assert.equal(p.download!.sha256, sum);
    // 4 MiB at 1 MiB/s, less what the pipe and the socket buffers hold ahead of the reader
    assert.ok(p.download!.end - p.download!.start >= 2500, `4 MiB at 1 MiB/s took ${p.download!.end - p.download!.start} ms`);
  } finally {
    s.close();
  }
});

test('long-lived connections: a reset download and a reset second request are broken', async () => {
  const s = await server({ download: true, secondRequest: true });
  try {
    const { p, download, keep } = judge(await runClient((s.address() as AddressInfo).port));
    assert.notEqual(p.download!.rc, 0);
    assert.equal(download.status, 'fail');
    assert.ok(download.broken);
    assert.match(download.detail, /^broken at .* after \d+ of 4194304 bytes: curl exit (56|18)/);
    assert.equal(keep.status, 'fail');
    assert.ok(keep.broken);
    assert.match(keep.detail, /request 2 on the same connection at .*: the connection was reset or closed instead of an answer/);
  } finally {
    s.close();
  }
});

test('long-lived connections: a server that closes the idle connection is told apart from a reset', async () => {
  const s = await server({ closeIdle: true });
  try {
    const { keep } = judge(await runClient((s.address() as AddressInfo).port));
    assert.equal(keep.status, 'fail');
    assert.equal(keep.broken, false);
    assert.match(keep.detail, /closed the idle connection before the second request/);
  } finally {
    s.close();
  }
});

test('long-lived verdicts: what did not span the takeover proves nothing', () => {
  const d = { start: 1000, end: 5000, rc: 0, status: 200, bytes: DOWNLOAD_BYTES, sha256: sum, error: '' };
  assert.equal(judgeDownload(d, sums, 2000, 4000).status, 'pass');
  assert.equal(judgeDownload(d, sums, 2000, 6000).status, 'not run');
  assert.equal(judgeDownload({ ...d, sha256: 'a'.repeat(64) }, sums, 2000, 4000).status, 'fail');
  assert.equal(judgeDownload(undefined, sums, 2000, 4000).status, 'fail');
  const ex = [{ n: 1, at: 1500, ok: true, what: '200', body: '11111' }, { n: 2, at: 4500, ok: true, what: '200', body: '22222' }];
  const v = judgeKeepAlive(ex, pages, 2000, 4000);
  assert.equal(v.status, 'fail');
  assert.match(v.detail, /from web2/);
  assert.equal(judgeKeepAlive([ex[0], { ...ex[1], body: '11111' }], pages, 2000, 5000).status, 'not run');
  assert.deepEqual(parseLongLived('download 1000 1500 56 200 100000 ' + 'b'.repeat(64) + ' curl: (56) Recv failure: Connection reset by peer\ndone\n').download,
    { start: 1000, end: 1500, rc: 56, status: 200, bytes: 100000, sha256: 'b'.repeat(64), error: 'curl: (56) Recv failure: Connection reset by peer' });
});
