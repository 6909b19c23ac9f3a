/**
 * harun installed like any CLI: `npm pack` here, the tarball copied out of the repository,
 * `npm install -g` into a fresh prefix (and `npx` from the tarball), then from an empty
 * directory: --version, `harun init lvs-dr`, and the new project's playbook checked. Needs the
 * npm registry for the dependencies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../e2e/helpers.js';

const MIN = 60_000;

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env, timeout = 10 * MIN) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, out: r.stdout ?? '', err: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

test('npm pack, install -g into a fresh prefix and npx, then harun --version, init and a syntax check outside the repository', { timeout: 30 * MIN }, (t) => {
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'harun-pkg-')));
  // npm's own settings from `npm test` (npm_config_*, npm_package_*) must not leak into the install
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'INIT_CWD'));
  try {
    const packed = sh('npm', ['pack', '--pack-destination', work], ROOT, env);
    assert.equal(packed.code, 0, `npm pack failed:\n${packed.out}\n${packed.err.slice(-4000)}`);
    const made = readdirSync(work).find((f) => /^harun-.*\.tgz$/.test(f));
    assert.ok(made, `no tarball in ${work}: ${packed.out}`);
    // the tarball alone, away from the repository
    const away = join(work, 'dl');
    mkdirSync(away);
    const tgz = join(away, made);
    copyFileSync(join(work, made), tgz);
    rmSync(join(work, made));

    const files = sh('tar', ['tzf', tgz], away).out.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    for (const f of ['bin/harun.js', 'dist/bundle/harun.cjs', 'dist/bundle/harun.cjs.cache', 'roles/keepalived/tasks/main.yml', 'playbooks/site.yml',
      'inventory/seed.ini', 'scripts/lab/build-uml-image.sh', 'scripts/lab/rootfs.sh', 'examples/ci/github-docker.yml', 'docs/verify-json.md'])
      assert.ok(files.includes(f), `${f} missing from the package`);
    const stray = files.filter((f) => /^(test|src|bench)\/|^dist\/(src|test|bench)\/|\.ts$/.test(f));
    assert.deepEqual(stray, [], 'no tests, sources or benchmark in the package');
    t.diagnostic(`package: ${files.length} files`);

    const prefix = join(work, 'prefix');
    const inst = sh('npm', ['install', '-g', '--no-audit', '--no-fund', '--prefer-offline', '--prefix', prefix, tgz], away, env);
    assert.equal(inst.code, 0, `npm install -g failed:\n${inst.out}\n${inst.err.slice(-4000)}`);
    const pkgDir = join(prefix, 'lib', 'node_modules', 'harun');
    assert.ok(!sh('find', [pkgDir, '-maxdepth', '1', '-type', 'l'], away).out.trim(), 'installed as files, not a link to the repository');

    const empty = join(work, 'empty');
    mkdirSync(empty);
    const runEnv = { ...env, PATH: `${join(prefix, 'bin')}:/usr/local/bin:/usr/bin:/bin` };
    const harun = (args: string[], cwd = empty) => sh('harun', args, cwd, runEnv, 2 * MIN);

    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
    const v = harun(['--version']);
    assert.equal(v.code, 0, v.err);
    assert.equal(v.out.trim(), version);
    // the code cache made on pack is the one for the shipped bundle (keyed by its size and build id)
    const bundle = readFileSync(join(pkgDir, 'dist/bundle/harun.cjs'), 'utf8');
    const id = /^\/\* harun build (\S+) \*\//.exec(bundle)?.[1];
    const key = readFileSync(join(pkgDir, 'dist/bundle/harun.cjs.cache')).subarray(0, 60).toString('latin1').split('\n')[0];
    assert.equal(key, `harun ${Buffer.byteLength(bundle)} ${id}`);
    // ssh2's native binding resolves from the installed bundle (when it built on this machine)
    const addon = sh('node', ['-e', `console.log(require('node:module').createRequire(${JSON.stringify(join(pkgDir, 'dist/bundle/harun.cjs'))}).resolve('ssh2/lib/protocol/crypto/build/Release/sshcrypto.node'))`], empty, runEnv);
    if (addon.code === 0) assert.ok(addon.out.trim().startsWith(prefix), addon.out);
    else t.diagnostic(`ssh2's addon did not build at install (ssh2 then runs its JavaScript ciphers): ${addon.err.split('\n')[0]}`);

    const init = harun(['init', 'lvs-dr', 'proj']);
    assert.equal(init.code, 0, init.err);
    const proj = join(empty, 'proj');
    for (const f of ['ansible.cfg', 'playbooks/site.yml', 'roles/keepalived/tasks/main.yml', 'inventory/seed.ini', '.github/workflows/failover.yml'])
      assert.ok(existsSync(join(proj, f)), `init did not write ${f}`);
    const again = harun(['init', 'lvs-dr', 'proj']);
    assert.equal(again.code, 5, 'init refuses to overwrite a project without --force');
    assert.match(again.err, /already has .*--force/);

    const syntax = harun(['play', 'site.yml', '--syntax-check'], proj);
    assert.equal(syntax.code, 0, `${syntax.out}\n${syntax.err}`);
    assert.match(syntax.out, new RegExp(`playbook: ${proj}/playbooks/site.yml`));
    const hosts = harun(['play', 'site.yml', '-i', 'inventory/seed.ini', '--list-hosts'], proj);
    assert.equal(hosts.code, 0, hosts.err);
    for (const h of ['lb1', 'lb2', 'web1', 'web2']) assert.match(hosts.out, new RegExp(`^\\s+${h}$`, 'm'));

    // npx from the tarball: npm lays the dependencies out beside harun (hoisted), not under it
    // (npx keys its install by the tarball's path, which is new on every run: nothing stale is reused)
    const npx = sh('npx', ['--yes', '--prefer-offline', `--package=${tgz}`, '--', 'harun', '--version'], empty, env);
    assert.equal(npx.code, 0, `npx failed:\n${npx.out}\n${npx.err.slice(-3000)}`);
    assert.equal(npx.out.trim().split('\n').pop(), version);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
