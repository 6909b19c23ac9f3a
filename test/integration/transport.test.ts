import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { UnreachableError } from '../../src/errors.js';
import { sh } from '../../src/shell/sh.js';
import { wrap } from '../../src/shell/wrap.js';
import { HERE_DOC_MAX } from '../../src/transport/resident.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { resolveTarget, type CliSsh } from '../../src/transport/target.js';
import { startFleet, type Fleet } from '../fixtures/sshd.js';

let fleet: Fleet;
const open: SshTransport[] = [];

function transport(i: number, vars: Record<string, unknown> = {}, cli: CliSsh = {}): SshTransport {
  const t = new SshTransport(resolveTarget(fleet.hosts[i].name, { ...fleet.vars(i), ...vars }, { sshConfigFile: '/dev/null', ...cli }));
  open.push(t);
  return t;
}

before(async () => {
  fleet = await startFleet({ count: 3 });
});
after(async () => {
  await Promise.all(open.map((t) => t.close()));
  await fleet?.stop();
});

describe('exec', () => {
  test('stdin, stdout, stderr and exit codes', async () => {
    const t = transport(0);
    await t.connect();
    const r = await t.exec('cat; echo oops >&2; exit 3', { stdin: 'hello\nworld\n' });
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'hello\nworld\n');
    assert.equal(r.stderr, 'oops\n');
    assert.equal((await t.exec('id -un')).stdout, `${fleet.user}\n`);
    assert.equal((await t.exec('true')).code, 0);
  });

  test('commands without stdin run one after another in one resident shell, each as under sh -c', async () => {
    const t = transport(0);
    await t.connect();
    const before = t.channels;
    const pid = async () => (await t.exec('echo $PPID')).stdout;
    const shellPid = await pid();
    // nothing a command sets survives it: directory, variables, umask, options, an exit or an exec
    const state = 'pwd; echo "[$X][$Y]"; umask; case $- in *C*) echo noclobber;; esac';
    const fresh = (await t.exec(state)).stdout;
    assert.match(fresh, /^\/.*\n\[\]\[\]\n0\d{3}\n$/);
    await t.exec('cd /tmp; X=1; export Y=2; umask 077; set -C; trap "echo trapped" EXIT');
    assert.equal((await t.exec(state)).stdout, fresh);
    assert.equal((await t.exec('exit 7')).code, 7);
    assert.equal((await t.exec('exec true')).code, 0);
    assert.equal((await t.exec('kill -9 $$')).code, 137);
    // a syntax error fails that command only, with sh's own message
    const bad = await t.exec(`echo 'unclosed`);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unterminated|EOF|end of file/i);
    // stdin is empty, not the stream the shell reads its commands from
    assert.equal((await t.exec('cat; echo done')).stdout, 'done\n');
    // output without a final newline, binary bytes, text that looks like a marker, a large output
    assert.equal((await t.exec(`printf 'no newline'`)).stdout, 'no newline');
    assert.deepEqual((await t.exec(`printf '\\377\\000\\n\\001'`)).stdoutBuf, Buffer.from([255, 0, 10, 1]));
    assert.equal((await t.exec(`printf '\\n%s:%d\\n' x 0; echo after`)).stdout, '\nx:0\nafter\n');
    const big = await t.exec('head -c 3000000 /dev/zero | tr "\\000" a; echo; echo err >&2');
    assert.equal(big.stdout.length, 3000001);
    assert.equal(big.stderr, 'err\n');
    assert.equal(await pid(), shellPid, 'the same shell ran every command');
    assert.equal(t.channels, before + 1, 'one session for all of them');
  });

  test('input a here-document can hold goes through the resident shell; other input gets a session', async () => {
    const t = transport(0);
    await t.connect();
    const shellPid = (await t.exec('echo $PPID')).stdout;
    const sessions = t.channels;
    // nothing in the input expands or ends it early: quotes, expansions, a lone EOF, CRLF, a byte
    // that is not UTF-8, a line that starts like the delimiter
    const tricky = Buffer.concat([Buffer.from(`$HOME \`id\` $(id) '"\\\nEOF\nHARUN_\nHARUN_x y\r\n`), Buffer.from([0xff, 10])]);
    assert.deepEqual((await t.exec('cat', { stdin: tricky })).stdoutBuf, tricky);
    // more than a pipe holds, and a reader that stops early
    const big = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(30)}`).join('\n') + '\n';
    assert.equal((await t.exec('cat', { stdin: big })).stdout, big);
    assert.equal((await t.exec('head -n 1', { stdin: big })).stdout, `line 0 ${'x'.repeat(30)}\n`);
    // a command that exits without reading it, then one more
    assert.equal((await t.exec('exit 4', { stdin: big })).code, 4);
    assert.equal((await t.exec('echo $PPID')).stdout, shellPid, 'the same shell ran every command');
    assert.equal(t.channels, sessions, 'no session of their own');
    // what a here-document cannot hold exactly: no final newline, a NUL byte, more than HERE_DOC_MAX
    assert.equal((await t.exec('cat', { stdin: 'no newline' })).stdout, 'no newline');
    assert.deepEqual((await t.exec('cat', { stdin: Buffer.from('a\0b\n') })).stdoutBuf, Buffer.from('a\0b\n'));
    const huge = 'y'.repeat(HERE_DOC_MAX) + '\n';
    assert.equal((await t.exec('wc -c', { stdin: huge })).stdout.trim(), String(HERE_DOC_MAX + 1));
    assert.equal(t.channels, sessions + 3, 'each on a session of its own');
  });

  test('binary stdout and Buffer stdin arrive byte for byte', async () => {
    const t = transport(0);
    const bytes = Buffer.from([0, 255, 1, 128, 10, 13, 0xc3]);
    const r = await t.exec('cat', { stdin: bytes });
    assert.deepEqual(r.stdoutBuf, bytes);
    const p = await t.exec(`printf '\\377\\000\\001'`);
    assert.deepEqual(p.stdoutBuf, Buffer.from([255, 0, 1]));
  });

  test('20 concurrent execs share one connection through the channel cap', async () => {
    const t = transport(1);
    await t.connect();
    const started = Date.now();
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => t.exec(`sleep 0.4; echo ${i}`)));
    const elapsed = Date.now() - started;
    assert.deepEqual(
      rs.map((r) => r.stdout.trim()),
      Array.from({ length: 20 }, (_, i) => String(i)),
    );
    assert.ok(rs.every((r) => r.code === 0));
    assert.equal(t.channels, 20);
    // At most 8 at a time: 20 commands of 0.4 s need three waves.
    assert.ok(elapsed >= 1150, `finished in ${elapsed} ms: more than 8 channels ran at once`);
    // One TCP connection from this process to the host.
    const conns = execFileSync('ss', ['-tnH', 'state', 'established', 'dst', `${fleet.hosts[1].addr}:${fleet.port}`], { encoding: 'utf8' });
    assert.equal(conns.trim().split('\n').filter(Boolean).length, 1, conns);
  });

  test('timeoutMs stops the command and the connection stays usable', async () => {
    const t = transport(0);
    const started = Date.now();
    const r = await t.exec('sleep 31.5', { timeoutMs: 300 });
    assert.equal(r.signal, 'timeout');
    assert.equal(r.code, null);
    assert.ok(Date.now() - started < 5000);
    const sessions = t.channels;
    assert.equal((await t.exec('echo still')).stdout, 'still\n');
    // the command itself was killed; the resident shell that ran it was retired for a new one
    assert.equal((await t.exec('pgrep -f "sleep 3[1][.]5" || echo none')).stdout, 'none\n');
    assert.equal(t.channels, sessions + 1);
  });

  test('an AbortSignal interrupts the command', async () => {
    const t = transport(0);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const started = Date.now();
    const r = await t.exec('sleep 30', { signal: ac.signal });
    assert.equal(r.signal, 'interrupted');
    assert.ok(Date.now() - started < 5000);
  });
});

describe('host keys', () => {
  test('an unknown host key is refused with the ssh-keyscan command that would accept it', async () => {
    const empty = join(fleet.dir, 'known_hosts.empty');
    writeFileSync(empty, '');
    const t = transport(0, {}, { knownHosts: empty });
    await assert.rejects(t.connect(), (e: Error) => {
      assert.ok(e instanceof UnreachableError);
      assert.match(e.message, /not known/);
      assert.ok(e.message.includes(`ssh-keyscan -p ${fleet.port} ${fleet.hosts[0].addr} >> ~/.ssh/known_hosts`), e.message);
      return true;
    });
    await assert.rejects(t.exec('true'), UnreachableError);
  });

  test('a changed host key is a loud error naming the file and line of the old key', async () => {
    const file = join(fleet.dir, 'known_hosts.changed');
    const other = readFileSync(fleet.keyFile + '.pub', 'utf8').split(' ').slice(0, 2).join(' '); // some other ed25519 key
    writeFileSync(file, `# old\n[${fleet.hosts[0].addr}]:${fleet.port} ${other}\n`);
    const t = transport(0, {}, { knownHosts: file });
    await assert.rejects(t.connect(), (e: Error) => {
      assert.ok(e instanceof UnreachableError);
      assert.match(e.message, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
      assert.match(e.message, /man-in-the-middle/);
      assert.ok(e.message.includes(`${file}:2`), e.message);
      return true;
    });
  });

  test('host key checking off connects to an unknown host', async () => {
    const t = transport(0, {}, { knownHosts: '/nonexistent/known_hosts', hostKeyChecking: false });
    assert.equal((await t.exec('echo ok')).stdout, 'ok\n');
  });

  test('accept-new records the key, which is then trusted', async () => {
    const file = join(fleet.dir, 'known_hosts.new');
    writeFileSync(file, '');
    await transport(2, {}, { knownHosts: file, hostKeyChecking: 'accept-new' }).connect();
    assert.equal(readFileSync(file, 'utf8'), `[${fleet.hosts[2].addr}]:${fleet.port} ${fleet.hostPublicKey}\n`);
    assert.equal((await transport(2, {}, { knownHosts: file }).exec('echo ok')).stdout, 'ok\n');
  });
});

describe('authentication and become', () => {
  const pwVars = () => ({ ansible_user: fleet.passwordUser, ansible_password: fleet.password, ansible_ssh_private_key_file: undefined });

  test('password authentication', async () => {
    const t = transport(0, pwVars());
    assert.equal((await t.exec('id -un')).stdout, `${fleet.passwordUser}\n`);
  });

  test('ssh-agent authentication (SSH_AUTH_SOCK)', async () => {
    const sock = join(fleet.dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
      execFileSync('ssh-add', ['-q', fleet.keyFile], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const saved = process.env.SSH_AUTH_SOCK;
      process.env.SSH_AUTH_SOCK = sock;
      let target;
      try {
        target = resolveTarget('host1', { ...fleet.vars(0), ansible_ssh_private_key_file: undefined }, { sshConfigFile: '/dev/null' });
      } finally {
        if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
        else process.env.SSH_AUTH_SOCK = saved;
      }
      assert.equal(target.agent, sock);
      const t = new SshTransport({ ...target, identityFiles: [] });
      open.push(t);
      assert.equal((await t.exec('echo agent')).stdout, 'agent\n');
    } finally {
      agent.kill();
    }
  });

  test('a wrong password is unreachable, saying what was tried', async () => {
    const t = transport(0, { ...pwVars(), ansible_password: 'wrong' });
    await assert.rejects(t.connect(), /authentication failed \(tried: (agent, )?password\)/);
  });

  test('sudo become without a password', async () => {
    const t = transport(0);
    const w = wrap(sh`id -u; cat`, { become: { become: true, user: 'root', method: 'sudo' } });
    const r = await t.exec(w.cmd, { stdin: w.stdinPrefix + 'data\n' });
    assert.equal(r.stdout, '0\ndata\n', r.stderr);
  });

  test('sudo become with a password: the rest of stdin reaches the command', async () => {
    const t = transport(0, pwVars());
    const w = wrap(sh`id -u; cat`, { become: { become: true, user: 'root', method: 'sudo', password: fleet.password } });
    const r = await t.exec(w.cmd, { stdin: w.stdinPrefix + 'data\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '0\ndata\n');
    const bad = wrap(sh`id -u`, { become: { become: true, user: 'root', method: 'sudo', password: 'wrong' } });
    const rb = await t.exec(bad.cmd, { stdin: bad.stdinPrefix });
    assert.equal(rb.code, 1);
    assert.match(rb.stderr, /incorrect become password/);
  });
});

describe('connection trouble', () => {
  test('a refused connection is UnreachableError', async () => {
    const t = new SshTransport(resolveTarget('nobody', { ansible_host: '127.0.0.254', ansible_port: fleet.port }, { sshConfigFile: '/dev/null' }));
    await assert.rejects(t.connect(), /connection refused/);
  });

  test('a server that never answers times out after the connect timeout', async () => {
    const socks: Socket[] = [];
    const silent = createServer((c) => socks.push(c)); // accepts, then says nothing
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as AddressInfo).port;
      const t = new SshTransport(resolveTarget('mute', { ansible_host: '127.0.0.1', ansible_port: port }, { sshConfigFile: '/dev/null', timeoutSec: 1 }));
      const started = Date.now();
      await assert.rejects(t.connect(), (e: Error) => e instanceof UnreachableError && /timed out after 1 s/.test(e.message));
      assert.ok(Date.now() - started < 4000);
    } finally {
      socks.forEach((c) => c.destroy());
      silent.close();
    }
  });

  test('ProxyJump through a host of another fleet, and losing the jump host', async () => {
    const jumpFleet = await startFleet({ count: 1 });
    try {
      const cfg = join(fleet.dir, 'ssh_config.jump');
      writeFileSync(cfg, `Host ${jumpFleet.hosts[0].addr}\n  User ${jumpFleet.user}\n  IdentityFile ${jumpFleet.keyFile}\n`);
      const known = join(fleet.dir, 'known_hosts.both');
      writeFileSync(known, readFileSync(fleet.knownHostsFile, 'utf8') + readFileSync(jumpFleet.knownHostsFile, 'utf8'));
      const t = transport(1, { ansible_ssh_common_args: `-J ${jumpFleet.hosts[0].addr}:${jumpFleet.port}` }, { sshConfigFile: cfg, knownHosts: known });
      assert.equal(t.target.jump?.host, jumpFleet.hosts[0].addr);
      assert.equal((await t.exec('echo through')).stdout, 'through\n');
      // Only the jump host's sessions are dropped: the target's connection ran through them.
      jumpFleet.dropConnections();
      await assert.rejects(t.exec('sleep 5'), UnreachableError);
    } finally {
      await jumpFleet.stop();
    }
  });

  test('a connection killed mid-run rejects pending and later execs, without hanging', async () => {
    const t = transport(2);
    await t.connect();
    const pending = Array.from({ length: 10 }, () => t.exec('sleep 20'));
    await new Promise((r) => setTimeout(r, 500));
    fleet.dropConnections();
    const results = await Promise.allSettled(pending);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok((r as PromiseRejectedResult).reason instanceof UnreachableError);
    }
    await assert.rejects(t.exec('true'), /lost/);
  });
});
