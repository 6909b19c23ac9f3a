import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { sysctl, sysctlFileEdit } from '../../../../src/modules/sysctl.js';
import { parseArgs } from '../../../../src/modules/lib/args.js';
import { runModule, tempDir } from './helpers.js';
import { LocalTransport } from '../../../../src/transport/local.js';

test('persisted line: replaces `key = v` spellings, appends when missing, removes on absent', () => {
  assert.equal(sysctlFileEdit('a=1\nnet.ipv4.ip_forward = 0\n', { name: 'net.ipv4.ip_forward', value: '1', state: 'present' }).content, 'a=1\nnet.ipv4.ip_forward=1\n');
  assert.equal(sysctlFileEdit(null, { name: 'vm.swappiness', value: '10', state: 'present' }).content, 'vm.swappiness=10\n');
  assert.equal(sysctlFileEdit('vm.swappiness=10\n', { name: 'vm.swappiness', value: '10', state: 'present' }).changed, false);
  // the dot in the key is literal
  assert.equal(sysctlFileEdit('vmXswappiness=1\n', { name: 'vm.swappiness', state: 'absent' }).changed, false);
  assert.equal(sysctlFileEdit('x=1\nvm.swappiness=1\n', { name: 'vm.swappiness', state: 'absent' }).content, 'x=1\n');
});

test('bad arguments name the argument', () => {
  assert.throws(() => parseArgs('sysctl', sysctl.schema, { name: 'vm.swappiness' }), /argument value/);
  assert.throws(() => parseArgs('sysctl', sysctl.schema, { name: 'x', value: 1, reload: 'maybe' }), /argument reload/);
  assert.equal(parseArgs('sysctl', sysctl.schema, { key: 'x', val: '1' }).name, 'x');
});

test('on this host: persists and applies kernel.msgmax, then unchanged; check mode touches nothing', async () => {
  const key = 'kernel.msgmax';
  const orig = execSync(`sysctl -n ${key}`).toString().trim();
  const want = String(Number(orig) + 1);
  const { dir, cleanup } = tempDir();
  const file = `${dir}/sysctl.d/99-test.conf`;
  try {
    const args = { name: key, value: want, sysctl_file: file, sysctl_set: true };
    const chk = await runModule(sysctl, args, { check: true });
    assert.equal(chk.changed, true);
    assert.equal(existsSync(file), false);
    assert.equal(execSync(`sysctl -n ${key}`).toString().trim(), orig);
    const r1 = await runModule(sysctl, args);
    assert.equal(r1.changed, true);
    assert.equal(readFileSync(file, 'utf8'), `${key}=${want}\n`);
    assert.equal(execSync(`sysctl -n ${key}`).toString().trim(), want);
    const t = new LocalTransport('localhost');
    assert.equal((await runModule(sysctl, args, { transport: t })).changed, false);
    assert.equal(t.execs, 1, 'an unchanged sysctl costs one round trip');
    // running value drifts: sysctl_set notices; without sysctl_set only the file counts
    execSync(`sysctl -w ${key}=${orig}`);
    assert.equal((await runModule(sysctl, { ...args, sysctl_set: false })).changed, false);
    assert.equal((await runModule(sysctl, args)).changed, true);
    assert.equal(execSync(`sysctl -n ${key}`).toString().trim(), want);
    writeFileSync(file, '# keep\n');
    const r3 = await runModule(sysctl, { ...args, value: want, sysctl_set: false });
    assert.equal(r3.changed, true);
    assert.equal(readFileSync(file, 'utf8'), `# keep\n${key}=${want}\n`);
    const gone = await runModule(sysctl, { name: 'kernel.no_such_key_here', value: '1', sysctl_file: file });
    assert.equal(gone.failed, true);
    assert.match(String(gone.msg), /not found/);
  } finally {
    execSync(`sysctl -w ${key}=${orig}`);
    cleanup();
  }
});
