import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { modprobe, parseModState, planModprobe } from '../../../../src/modules/modprobe.js';
import { parseArgs } from '../../../../src/modules/lib/args.js';
import { FakeTransport, runModule } from './helpers.js';

const args = (o: Record<string, unknown>) => parseArgs('modprobe', modprobe.schema, o);

test('modprobe plan: load with params, unload, builtin needs nothing', () => {
  const none = parseModState('proc_modules\n', 'ip_vs');
  assert.deepEqual(planModprobe(args({ name: 'ip_vs', params: 'conn_tab_bits=12' }), none), ['modprobe ip_vs conn_tab_bits=12']);
  const loaded = parseModState('proc_modules\nip_vs 172032 0 - Live 0x0\n', 'ip_vs');
  assert.deepEqual(planModprobe(args({ name: 'ip_vs' }), loaded), []);
  assert.deepEqual(planModprobe(args({ name: 'ip_vs', state: 'absent' }), loaded), ['modprobe -r ip_vs']);
  // dm-mod is dm_mod in /proc/modules
  assert.equal(parseModState('proc_modules\ndm_mod 1 0\n', 'dm-mod').loaded, 'module');
  assert.deepEqual(planModprobe(args({ name: 'x', state: 'absent' }), parseModState('builtin\n', 'x')), []);
  assert.throws(() => args({ name: 'ip vs' }), /argument name/);
  assert.throws(() => args({ name: 'ip_vs', persistent: 'yes' }), /argument persistent/);
});

test('a failing modprobe says what failed, with its stderr', async () => {
  const t = new FakeTransport([
    [/proc\/modules/, { stdout: 'proc_modules\n@@files\nabsent\nabsent\n' }],
    [/^modprobe ip_vs$/, { code: 1, stderr: "modprobe: FATAL: Module ip_vs not found in directory /lib/modules/6.1.0\n" }],
  ]);
  const r = await runModule(modprobe, { name: 'ip_vs' }, { transport: t });
  assert.equal(r.failed, true);
  assert.match(String(r.msg), /modprobe ip_vs failed: modprobe: FATAL: Module ip_vs not found/);
});

test('on this host (no loadable modules): builtin is ok, unknown fails clearly, persistence files converge', async () => {
  const hasProc = existsSync('/proc/modules');
  const r0 = await runModule(modprobe, { name: 'acpi' });
  if (existsSync('/sys/module/acpi') && !existsSync('/sys/module/acpi/initstate')) assert.equal(r0.changed, false);
  const bad = await runModule(modprobe, { name: 'harun_no_such_module' });
  assert.equal(bad.failed, true);
  assert.match(String(bad.msg), hasProc ? /modprobe harun_no_such_module failed/ : /cannot load modules/);
  const name = `harun_tmp_${process.pid}`;
  const load = `/etc/modules-load.d/${name}.conf`;
  const opts = `/etc/modprobe.d/${name}.conf`;
  try {
    // state absent of a module that is not loaded: only the files change
    const a = { name, state: 'absent', persistent: 'present', params: 'x=1' };
    assert.equal((await runModule(modprobe, a, { check: true })).changed, true);
    assert.equal(existsSync(load), false);
    assert.equal((await runModule(modprobe, a)).changed, true);
    assert.equal(readFileSync(load, 'utf8'), `${name}\n`);
    assert.equal(readFileSync(opts, 'utf8'), `options ${name} x=1\n`);
    assert.equal((await runModule(modprobe, a)).changed, false);
    assert.equal((await runModule(modprobe, { ...a, persistent: 'absent' })).changed, true);
    assert.equal(existsSync(load) || existsSync(opts), false);
  } finally {
    rmSync(load, { force: true });
    rmSync(opts, { force: true });
  }
});
