import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostMatches, lookupSshConfig, matchPattern, parseSshArgs, parseSshConfig, splitWords } from '../../../src/transport/sshconfig.js';

test('patterns: * and ? globbing, case-insensitive, anchored', () => {
  assert.ok(matchPattern('*.example.com', 'web1.example.com'));
  assert.ok(matchPattern('web?', 'WEB1'));
  assert.ok(!matchPattern('web?', 'web10'));
  assert.ok(!matchPattern('*.example.com', 'example.com'));
  assert.ok(matchPattern('10.0.0.*', '10.0.0.7'));
  assert.ok(!matchPattern('10.0.0.*', '10.0.0X7'), 'a dot is literal');
});

test('a negated pattern vetoes a positive match; negation alone matches nothing', () => {
  assert.ok(hostMatches(['*.lan', '!db.lan'], 'web.lan'));
  assert.ok(!hostMatches(['*.lan', '!db.lan'], 'db.lan'));
  assert.ok(!hostMatches(['!db.lan'], 'web.lan'));
});

test('first value wins, IdentityFile accumulates, Key=Value syntax, comments', () => {
  const cfg = parseSshConfig(`
# comment
Host web*
  HostName %h.example.com
  User deploy
  IdentityFile ~/.ssh/web
Host web1 !web2
  User other
  Port=2200
Host *
  User fallback
  IdentityFile = ~/.ssh/all
  StrictHostKeyChecking accept-new
`);
  const o = lookupSshConfig(cfg, 'web1');
  assert.deepEqual(o.user, ['deploy']);
  assert.deepEqual(o.hostname, ['%h.example.com']);
  assert.deepEqual(o.port, ['2200']);
  assert.deepEqual(o.identityfile, ['~/.ssh/web', '~/.ssh/all']);
  assert.deepEqual(o.stricthostkeychecking, ['accept-new']);
  const o2 = lookupSshConfig(cfg, 'web2');
  assert.equal(o2.port, undefined);
  assert.deepEqual(lookupSshConfig(cfg, 'db').user, ['fallback']);
});

test('Match blocks are skipped except Match all; options before any Host apply everywhere', () => {
  const cfg = parseSshConfig(`User early\nMatch host foo exec "true"\n  Port 1\nMatch all\n  Port 2\n`);
  const o = lookupSshConfig(cfg, 'foo');
  assert.deepEqual(o.user, ['early']);
  assert.deepEqual(o.port, ['2']);
});

test('Include pulls in files (globs, relative to the including file) under the current Host', () => {
  const dir = mkdtempSync(join(tmpdir(), 'harun-sshcfg-'));
  try {
    writeFileSync(join(dir, 'a.conf'), 'Host a\n  Port 11\n');
    writeFileSync(join(dir, 'b.conf'), 'Host b\n  Port 12\n');
    const cfg = parseSshConfig(`Include *.conf\nHost *\n  Port 99\n`, join(dir, 'config'));
    assert.deepEqual(lookupSshConfig(cfg, 'a').port, ['11']);
    assert.deepEqual(lookupSshConfig(cfg, 'b').port, ['12']);
    assert.deepEqual(lookupSshConfig(cfg, 'c').port, ['99']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('splitWords honours quotes and backslashes', () => {
  assert.deepEqual(splitWords(`-o ProxyCommand="ssh -W %h:%p gw" -o 'A B' x\\ y`), ['-o', 'ProxyCommand=ssh -W %h:%p gw', '-o', 'A B', 'x y']);
  assert.throws(() => splitWords(`-o "open`), /unterminated/);
});

test('ssh arguments: -o in both spellings, -i, -p, -l, -J; first -o wins; unknown flags skipped', () => {
  const a = parseSshArgs(`-C -o StrictHostKeyChecking=no -oUser=alice -o "Port 2022" -o User=bob -i ~/k1 -i/tmp/k2 -p 2200 -J bastion,u@jump:2222 -v`);
  assert.deepEqual(a.options.stricthostkeychecking, ['no']);
  assert.deepEqual(a.options.user, ['alice']);
  assert.deepEqual(a.options.port, ['2022']);
  assert.deepEqual(a.identityFiles, ['~/k1', '/tmp/k2']);
  assert.equal(a.port, 2200);
  assert.equal(a.jump, 'bastion,u@jump:2222');
  assert.throws(() => parseSshArgs('-o'), /needs a value/);
  assert.throws(() => parseSshArgs('-o =x'), /Key=Value/);
});
