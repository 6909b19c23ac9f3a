import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { get_url } from '../../../../src/modules/get_url.js';
import { parseHeaders, uri, encodeBody } from '../../../../src/modules/uri.js';
import { parseArgs } from '../../../../src/modules/lib/args.js';
import { runModule, tempDir } from './helpers.js';
import { execSync } from 'node:child_process';
import { LocalTransport } from '../../../../src/transport/local.js';
import type { Transport } from '../../../../src/transport/types.js';

let server: Server;
let base = '';
let hits = 0;
const payload = 'hello from the test server\n';
const sha256 = createHash('sha256').update(payload).digest('hex');

before(async () => {
  server = createServer((req, res) => {
    hits++;
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.url === '/file.txt') return res.end(payload);
      if (req.url === '/echo') {
        res.setHeader('Content-Type', 'application/json');
        return res.end(JSON.stringify({ method: req.method, body, type: req.headers['content-type'] ?? '', token: req.headers['x-token'] ?? '' }));
      }
      if (req.url === '/redirect') return res.writeHead(302, { Location: '/file.txt' }).end();
      if (req.url === '/auth') {
        // basic auth, as curl and wget send it once challenged
        const given = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
        if (!given) return res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="t"' }).end('who?');
        res.setHeader('Content-Type', 'application/json');
        return res.end(JSON.stringify({ given, body }));
      }
      res.writeHead(404).end('nope');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

test('header parsing keeps the last block after redirects (curl -D and wget -S forms)', () => {
  const p = parseHeaders('HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A-B: 1\r\n\r\n');
  assert.deepEqual(p, { status: 200, reason: 'OK', headers: { content_type: 'text/plain', x_a_b: '1' } });
  assert.equal(parseHeaders('  HTTP/1.1 404 Not Found\n  Content-Length: 4\n').status, 404);
  assert.deepEqual(encodeBody({ body: { a: 1, b: 'x y' }, body_format: 'form-urlencoded' }), { body: 'a=1&b=x+y', type: 'application/x-www-form-urlencoded' });
});

test('uri against a loopback server: json body, status codes, return_content, headers', async () => {
  const r = await runModule(uri, { url: `${base}/echo`, method: 'POST', body: { k: 'v' }, body_format: 'json', headers: { 'X-Token': 't1' }, return_content: true });
  assert.equal(r.failed, undefined, String(r.msg));
  assert.equal(r.status, 200);
  assert.equal(r.changed, false);
  assert.deepEqual(r.json, { method: 'POST', body: '{"k":"v"}', type: 'application/json', token: 't1' });
  assert.match(String(r.content), /"method":"POST"/);
  const nf = await runModule(uri, { url: `${base}/missing` });
  assert.equal(nf.failed, true);
  assert.match(String(nf.msg), /Status code was 404 and not \[200\]/);
  assert.equal((await runModule(uri, { url: `${base}/missing`, status_code: [200, 404] })).failed, undefined);
  const red = await runModule(uri, { url: `${base}/redirect`, return_content: true });
  assert.equal(red.content, payload);
  const down = await runModule(uri, { url: 'http://127.0.0.1:9/', timeout: 5 });
  assert.equal(down.failed, true);
  assert.throws(() => parseArgs('uri', uri.schema, { url: base, body_format: 'xml' }), /argument body_format/);
  assert.throws(() => parseArgs('uri', uri.schema, { url: base, status_code: 'ok' }), /argument status_code/);
});

test('get_url: downloads, then skips on checksum; check mode writes nothing; mismatch fails', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const dest = `${dir}/file.txt`;
    const args = { url: `${base}/file.txt`, dest, checksum: `sha256:${sha256}`, mode: '0640' };
    const chk = await runModule(get_url, args, { check: true });
    assert.equal(chk.changed, true);
    assert.equal(existsSync(dest), false);
    const r1 = await runModule(get_url, args);
    assert.equal(r1.changed, true, String(r1.msg));
    assert.equal(readFileSync(dest, 'utf8'), payload);
    assert.equal(statSync(dest).mode & 0o777, 0o640);
    const n = hits;
    const r2 = await runModule(get_url, args);
    assert.equal(r2.changed, false);
    assert.equal(hits, n, 'a matching checksum must not download again');
    // no checksum, no force: an existing file is left alone; force downloads but keeps equal bytes
    writeFileSync(dest, 'local edit\n');
    assert.equal((await runModule(get_url, { url: args.url, dest })).changed, false);
    assert.equal((await runModule(get_url, { url: args.url, dest, force: true })).changed, true);
    assert.equal(readFileSync(dest, 'utf8'), payload);
    assert.equal((await runModule(get_url, { url: args.url, dest, force: true })).changed, false);
    // a directory dest takes the URL's file name
    const r3 = await runModule(get_url, { url: args.url, dest: `${dir}/`, force: true });
    assert.equal(r3.dest, `${dir}//file.txt`);
    const bad = await runModule(get_url, { url: args.url, dest: `${dir}/other`, checksum: `sha256:${'0'.repeat(64)}` });
    assert.equal(bad.failed, true);
    assert.match(String(bad.msg), /checksum mismatch/);
    assert.equal(existsSync(`${dir}/other`), false);
    const nf = await runModule(get_url, { url: `${base}/missing`, dest: `${dir}/m` });
    assert.match(String(nf.msg), /download failed: HTTP 404/);
    assert.throws(() => parseArgs('get_url', get_url.schema, { url: base, dest, checksum: 'sha256' }), /argument checksum/);
  } finally {
    cleanup();
  }
});

test('without curl, uri and get_url fall back to wget', { skip: !existsSync('/usr/bin/wget') && 'wget not installed' }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    // a PATH where every tool but curl is found
    const bin = `${dir}/bin`;
    execSync(`mkdir ${bin} && find /usr/bin/ /usr/local/bin/ -mindepth 1 -maxdepth 1 ! -name curl -exec ln -sf -t ${bin} {} +`, { shell: '/bin/sh' });
    const inner = new LocalTransport('localhost');
    const transport: Transport = {
      host: 'localhost', channels: 0, execs: 0, connect: async () => {}, close: async () => {},
      exec: (cmd, o) => inner.exec(`PATH=${bin}:/usr/sbin:/sbin; export PATH; ${cmd}`, o),
    };
    const r: any = await runModule(uri, { url: `${base}/echo`, method: 'PUT', body: 'raw body', return_content: true }, { transport });
    assert.equal(r.failed, undefined, String(r.msg));
    assert.deepEqual([r.json.method, r.json.body], ['PUT', 'raw body']);
    const nf = await runModule(uri, { url: `${base}/missing` }, { transport });
    assert.match(String(nf.msg), /Status code was 404/);
    const dest = `${dir}/w.txt`;
    const g = await runModule(get_url, { url: `${base}/file.txt`, dest, checksum: `sha256:${sha256}` }, { transport });
    assert.equal(g.changed, true, String(g.msg));
    assert.equal(readFileSync(dest, 'utf8'), payload);
  } finally {
    cleanup();
  }
});

test('url_username/url_password travel on stdin: never on a command line, with curl and with wget, a body after them', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const secret = 'pa ss"w\\rd-7731';
    const sent: string[] = [];
    const inner = new LocalTransport('localhost');
    const recording = (path?: string): Transport => ({
      host: 'localhost', channels: 0, execs: 0, connect: async () => {}, close: async () => {},
      exec: (cmd, o) => {
        sent.push(cmd);
        return inner.exec(path ? `PATH=${path}:/usr/sbin:/sbin; export PATH; ${cmd}` : cmd, o);
      },
    });
    const nocurl = `${dir}/bin`;
    execSync(`mkdir ${nocurl} && find /usr/bin/ /usr/local/bin/ -mindepth 1 -maxdepth 1 ! -name curl -exec ln -sf -t ${nocurl} {} +`, { shell: '/bin/sh' });
    const tools = existsSync('/usr/bin/wget') ? [undefined, nocurl] : [undefined];
    for (const path of tools) {
      const transport = recording(path);
      const args = { url: `${base}/auth`, method: 'POST', body: 'the body', url_username: 'ann', url_password: secret, force_basic_auth: true, return_content: true };
      const r: any = await runModule(uri, args, { transport });
      assert.equal(r.failed, undefined, String(r.msg));
      assert.deepEqual(r.json, { given: `ann:${secret}`, body: 'the body' }, path ? 'wget' : 'curl');
      const dest = `${dir}/got-${path ? 'wget' : 'curl'}`;
      const g = await runModule(get_url, { url: `${base}/auth`, dest, url_username: 'ann', url_password: secret }, { transport });
      assert.equal(g.changed, true, String(g.msg));
      assert.equal(JSON.parse(readFileSync(dest, 'utf8')).given, `ann:${secret}`);
    }
    assert.ok(sent.length >= 2 * tools.length);
    for (const cmd of sent) assert.ok(!cmd.includes('7731'), `the password is on a command line: ${cmd}`);
    // and the file that held them for curl or wget is gone
    assert.deepEqual(execSync(`grep -l 7731 ${tmpdir()}/tmp.* 2>/dev/null || true`, { shell: '/bin/sh' }).toString(), '');
  } finally {
    cleanup();
  }
});
