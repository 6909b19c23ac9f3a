import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createContext } from '../../src/engine/context.js';
import { ansibleModule } from '../../src/modules/index.js';
import { parseArgs } from '../../src/modules/lib/args.js';
import { isPresent, parseReq, pip, recoverNames } from '../../src/modules/pip.js';
import type { ModuleDef, ModuleResult } from '../../src/modules/types.js';
import { SshTransport } from '../../src/transport/ssh.js';
import { resolveTarget } from '../../src/transport/target.js';
import { sshHost } from '../helpers/remote.js';
import { asShell } from '../../src/shell/sh.js';

/*
 * Everything happens in the scratch dir h.dir, as the fleet's login user over the loopback sshd:
 * two tiny wheels of our own (harun-pipdemo 1.0 and 2.0, harun-pipdep 1.0) built there with
 * Debian's python3, and two virtualenvs made by the modules with `/usr/bin/python3 -m venv`: one
 * for harun's native pip, one for Ansible's own pip module, which runs the same steps over a
 * second connection (so that the native module's round trips are counted alone). pip never
 * reaches for an index (--no-index, no version check), so nothing leaves loopback.
 */
const h = sshHost();
const ref = ansibleModule('pip')?.def;
const NO_ANSIBLE = ref ? false : "Debian's ansible is not installed: no comparison with Ansible's pip module";
const PY = '/usr/bin/python3';
const NO_PY = existsSync(PY) ? false : 'no /usr/bin/python3 with pip and venv on this machine';

// what a play's `environment:` would set: no pip self-version check (network), no cache in ~
const ENV = { PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_CACHE_DIR: '1' };

/** Run a module over transport t with the environment above; round trips counted on t. */
async function runOn(t: SshTransport, mod: ModuleDef, args: unknown, check = false) {
  const ctx = createContext({
    host: t.host, transport: t, vars: {}, check, diff: false, signal: new AbortController().signal,
    wrapping: { environment: ENV }, facts: async () => ({}), findLocal: (_k, s) => s, render: (s) => s,
    evaluate: () => undefined, log: () => {},
  });
  const n = t.execs;
  const r = await mod.run(ctx, parseArgs(mod.name, mod.schema, args));
  return { r, trips: t.execs - n };
}

/** A command on the host that must succeed; its stdout, trimmed. */
async function sh(cmd: string): Promise<string> {
  const r = await h.t.exec(asShell(cmd));
  assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The harun-* distributions installed in a venv, as `name-version` (read from site-packages, no pip). */
const installed = (venv: string) => sh(`cd ${venv}/lib/python3*/site-packages 2>/dev/null && ls -d harun_*.dist-info | sed 's/\\.dist-info$//' | tr '\\n' ' ' || true`);

// A wheel is a zip: the module, and the dist-info with METADATA, WHEEL and RECORD
const WHEELS = `
import sys, zipfile
out = sys.argv[1]
for name, ver in (('harun_pipdemo', '1.0'), ('harun_pipdemo', '2.0'), ('harun_pipdep', '1.0')):
    di = '%s-%s.dist-info' % (name, ver)
    files = {
        name + '.py': '__version__ = %r\\n' % ver,
        di + '/METADATA': 'Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n' % (name.replace('_', '-'), ver),
        di + '/WHEEL': 'Wheel-Version: 1.0\\nGenerator: harun-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n',
    }
    files[di + '/RECORD'] = ''.join('%s,,\\n' % f for f in files) + di + '/RECORD,,\\n'
    with zipfile.ZipFile('%s/%s-%s-py3-none-any.whl' % (out, name, ver), 'w') as z:
        for f, text in files.items():
            z.writestr(f, text)
`;

test('requirements as pkg_resources reads them, and specifiers as packaging decides them', { skip: NO_PY }, () => {
  assert.deepEqual(recoverNames(['django>1.11.1', '<1.11.3', 'ipaddress', 'simpleproject>1.1.0', '<2.0.0']), ['django>1.11.1,<1.11.3', 'ipaddress', 'simpleproject>1.1.0,<2.0.0']);
  assert.deepEqual(recoverNames(['django>1.11.1,<1.11.3,ipaddress', 'simpleproject>1.1.0,<2.0.0']), ['django>1.11.1,<1.11.3', 'ipaddress', 'simpleproject>1.1.0,<2.0.0']);
  assert.deepEqual(recoverNames(['pkg[a,b]>=1', 'other']), ['pkg[a,b]>=1', 'other']);
  // the same requirements and installed versions through Debian's pkg_resources (what Ansible uses)
  const reqs = ['Demo >= 1.0 , < 2', 'demo[b,a]==1.*', 'demo~=1.4', 'demo~=1.4.2', 'demo!=1.5', 'demo<2.0', 'demo>1.0', 'demo==1.0+local',
    'demo===1.0', 'demo', 'demo>=1.0;python_version>"3"', './local/dir', 'git+https://x/y.git', 'demo==abc', 'de_mo.x>=0.1',
    'demo (>=1.0)', 'demo~=1', 'demo!=1.*', 'demo>=1.0.dev0'];
  const versions = ['1.0', '1.0.0', '1.4', '1.4.5', '1.5', '1.9.9', '2.0rc1', '2.0', '1.0.post1', '1.0+local', '1!0.5', '1.5.dev2', '0.1'];
  const py = `
import json, sys
from pkg_resources import Requirement
reqs, versions = json.load(sys.stdin)
out = []
for r in reqs:
    try:
        q = Requirement.parse(r)
    except ValueError:
        out.append([r, None]); continue
    out.append([str(q), [q.specifier.contains(v, prereleases=True) for v in versions]])
print(json.dumps(out))`;
  const want = JSON.parse(execFileSync(PY, ['-c', py], { input: JSON.stringify([reqs, versions]) }).toString()) as [string, boolean[] | null][];
  reqs.forEach((r, i) => {
    const q = parseReq(r);
    const [text, contains] = want[i];
    if (contains === null) {
      assert.equal(q.name, undefined, `${r}: not a plain requirement for pkg_resources`);
      return;
    }
    assert.equal(q.text, text, `str(Requirement.parse(${r}))`);
    const ours = versions.map((v) => isPresent(q, `${q.name}==${v}\n`));
    assert.deepEqual(ours, contains, `${r} against ${versions.join(' ')}`);
  });
  assert.equal(isPresent(parseReq('Harun_PipDemo==1.0'), 'pip==23.0\nharun-pipdemo==1.0\n'), true, 'PEP 503 names');
});

test('arguments: Ansible\'s choices, required and exclusive rules, refused before any host', () => {
  const a = parseArgs('pip', pip.schema, { name: 'a,b' });
  assert.deepEqual([a.name, a.state, a.virtualenv_command, a.editable, a.virtualenv_site_packages], [['a', 'b'], 'present', 'virtualenv', false, false]);
  assert.throws(() => parseArgs('pip', pip.schema, {}), /one of the following is required: name, requirements/);
  assert.throws(() => parseArgs('pip', pip.schema, { name: 'a', requirements: 'r.txt' }), /mutually exclusive: name\|requirements/);
  assert.throws(() => parseArgs('pip', pip.schema, { name: 'a', executable: 'pip3', virtualenv: '/v' }), /mutually exclusive: executable\|virtualenv/);
  assert.throws(() => parseArgs('pip', pip.schema, { name: 'a', state: 'installed' }), /argument state: expected one of present, absent, latest, forcereinstall/);
  assert.throws(() => parseArgs('pip', pip.schema, { name: 'a', umask: '0x22' }), /umask must be an octal integer/);
  assert.throws(() => parseArgs('pip', pip.schema, { name: 'a', bogus: 1 }), /unsupported argument bogus/);
});

test('Ansible\'s argument errors decided before pip runs', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ name: 'a', version: '1.0', state: 'latest' }, /^version is incompatible with state=latest$/],
    [{ name: ['a', 'b'], version: '1.0' }, /'version' argument is ambiguous/],
    [{ name: 'a>=1', version: '1.0' }, /'version' argument conflicts with any version specifier/],
  ];
  for (const [args, msg] of cases) {
    const { r, trips } = await runOn(h.t, pip, { ...args, virtualenv: `${h.dir}/never` });
    assert.deepEqual([r.failed, trips], [true, 0]);
    assert.match(String(r.msg), msg);
  }
});

test('pip or the virtualenv command not found: Ansible\'s messages, nothing made', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ name: 'a', executable: 'harun-no-such-pip' }, /^Unable to find any of harun-no-such-pip to use\.  pip needs to be installed\.$/],
    [{ name: 'a', virtualenv: `${h.dir}/v1`, virtualenv_command: 'harun-no-such-venv' }, /^Failed to find required executable "harun-no-such-venv" in paths: .*\/usr\/bin/],
    [{ name: 'a', virtualenv: `${h.dir}/v2`, virtualenv_command: `${PY} -m venv`, virtualenv_python: 'python3' },
      /^virtualenv_python should not be used when using the venv module or pyvenv as virtualenv_command$/],
  ];
  for (const [args, msg] of cases) {
    const n = await runOn(h.t, pip, args);
    const a = ref ? await runOn(h.t, ref, args) : undefined;
    assert.deepEqual([n.r.failed, n.r.changed, n.trips], [true, false, 1]);
    assert.match(String(n.r.msg), msg);
    if (a) assert.match(String(a.r.msg), msg, 'Ansible\'s message');
  }
  assert.equal(await sh(`ls ${h.dir}`), '', 'no venv made');
});

/** The result keys a playbook reads, with the venv's own path made neutral, for comparing. */
function keys(r: ModuleResult, venv: string) {
  const pick: Record<string, unknown> = { changed: r.changed, failed: r.failed ?? false };
  for (const k of ['msg', 'name', 'version', 'state', 'requirements', 'virtualenv']) if (r[k] !== undefined) pick[k] = r[k];
  return JSON.parse(JSON.stringify(pick).replaceAll(venv, 'VENV'));
}

test('install into a new venv, rerun, pins, latest, requirements, absent and check mode; the same as Ansible\'s pip', { skip: NO_PY }, async (t) => {
  if (NO_ANSIBLE) t.diagnostic(NO_ANSIBLE);
  const wheels = `${h.dir}/wheels`;
  await sh(`mkdir -p ${wheels}`);
  const w = await h.t.exec(asShell(`${PY} - ${wheels}`), { stdin: WHEELS });
  assert.equal(w.code, 0, w.stderr);
  await sh(`printf 'harun-pipdep==1.0\\n' > ${h.dir}/req.txt`);

  // Ansible's module runs over a connection of its own, at the same time as harun's
  let t2: SshTransport | undefined;
  if (ref) {
    t2 = new SshTransport(resolveTarget(h.fleet.hosts[0].name, h.fleet.vars(0), { sshConfigFile: '/dev/null' }));
    await t2.connect();
  }
  const mine = `${h.dir}/venv-harun`;
  const theirs = `${h.dir}/venv-ansible`;
  const extra = `--no-index --find-links ${wheels}`;
  const base = { virtualenv_command: `${PY} -m venv`, extra_args: extra };
  try {
    /**
     * One step by harun's module; with compare, by Ansible's as well on its venv, and the two
     * compared. Steps that change nothing (most check-mode and rerun steps) are harun's alone: each
     * Ansible run costs seconds (its module code and pip start on Python), and the file's time is short.
     */
    const step = async (label: string, args: Record<string, unknown>, o: { check?: boolean; compare?: boolean } = {}) => {
      const check = o.check ?? false;
      const [n, a] = await Promise.all([
        runOn(h.t, pip, { ...args, virtualenv: mine }, check),
        ref && t2 && o.compare ? runOn(t2, ref, { ...args, virtualenv: theirs }, check) : undefined,
      ]);
      if (a) {
        assert.deepEqual(keys(n.r, mine), keys(a.r, theirs), `${label}: harun's result keys vs Ansible's`);
        assert.equal(await installed(mine), await installed(theirs), `${label}: installed versions, harun's venv vs Ansible's`);
        // where both ran the same pip install, they ran the same command line
        if (n.r.changed && !check) assert.deepEqual(JSON.stringify(n.r.cmd).replaceAll(mine, 'V'), JSON.stringify(a.r.cmd).replaceAll(theirs, 'V'), `${label}: cmd`);
      }
      return n;
    };

    // check mode before the venv exists: changed, nothing made
    let s = await step('check, no venv', { ...base, name: 'harun_pipdemo==1.0' }, { check: true });
    assert.deepEqual([s.r, s.trips], [{ changed: true }, 1]);
    assert.equal(await sh(`test -e ${mine} && echo made || echo none`), 'none');

    // the venv is made and the package installed in the same exec
    s = await step('install into a new venv', { ...base, name: 'harun_pipdemo==1.0' }, { compare: true });
    assert.deepEqual([s.r.changed, s.r.failed ?? false, s.trips], [true, false, 1], String(s.r.msg));
    assert.equal(await sh(`test -e ${mine}/bin/activate && echo made`), 'made');
    assert.equal(await installed(mine), 'harun_pipdemo-1.0');
    assert.deepEqual(s.r.cmd, [`${mine}/bin/pip3`, 'install', '--no-index', '--find-links', wheels, 'harun_pipdemo==1.0']);
    assert.match(String(s.r.stdout), /Successfully installed harun[-_]pipdemo-1\.0/);
    assert.deepEqual([s.r.virtualenv, s.r.state, s.r.name, s.r.version, s.r.requirements], [mine, 'present', ['harun_pipdemo==1.0'], null, null]);

    s = await step('rerun', { ...base, name: 'harun_pipdemo==1.0' }, { compare: true });
    assert.deepEqual([s.r.changed, s.trips], [false, 1]);

    // check mode without extra_args tests the requirement against pip list, installs nothing
    s = await step('check ==2.0', { virtualenv_command: base.virtualenv_command, name: 'harun-pipdemo==2.0' }, { check: true, compare: true });
    assert.deepEqual([s.r.changed, s.trips], [true, 1]);
    assert.equal(s.r.cmd, `${mine}/bin/pip3 list --format=freeze`);
    assert.match(String(s.r.stdout), /^harun-pipdemo==1\.0$/m);
    s = await step('check >=1.0,<3 as two items', { virtualenv_command: base.virtualenv_command, name: ['harun-pipdemo>=1.0', '<3'] }, { check: true });
    assert.deepEqual([s.r.changed, s.trips], [false, 1]);
    assert.equal(await installed(mine), 'harun_pipdemo-1.0');

    // a new pin: listed (one exec), then installed (a second)
    s = await step('pin ==2.0', { ...base, name: 'harun-pipdemo==2.0' }, { compare: true });
    assert.deepEqual([s.r.changed, s.trips], [true, 2]);
    assert.equal(await installed(mine), 'harun_pipdemo-2.0');
    s = await step('version 1.0', { ...base, name: 'harun-pipdemo', version: '1.0' }, { compare: true });
    assert.deepEqual([s.r.changed, s.trips], [true, 2]);
    assert.equal(await installed(mine), 'harun_pipdemo-1.0');
    assert.deepEqual(s.r.cmd, [`${mine}/bin/pip3`, 'install', '--no-index', '--find-links', wheels, 'harun-pipdemo==1.0']);

    s = await step('latest', { ...base, name: 'harun-pipdemo', state: 'latest' }, { compare: true });
    assert.deepEqual([s.r.changed, s.trips], [true, 1]);
    assert.equal(await installed(mine), 'harun_pipdemo-2.0');

    // requirements: pip list before and after decide
    s = await step('requirements', { ...base, requirements: 'req.txt', chdir: h.dir }, { compare: true });
    assert.deepEqual([s.r.changed, s.trips], [true, 1], String(s.r.msg));
    assert.equal(await installed(mine), 'harun_pipdemo-2.0 harun_pipdep-1.0');
    s = await step('requirements again', { ...base, requirements: 'req.txt', chdir: h.dir });
    assert.deepEqual([s.r.changed, s.trips], [false, 1]);

    s = await step('absent', { virtualenv_command: base.virtualenv_command, name: 'harun-pipdemo', state: 'absent' }, { compare: true });
    assert.deepEqual([s.r.changed, s.trips], [true, 1]);
    assert.match(String(s.r.stdout), /Successfully uninstalled harun[-_]pipdemo-2\.0/);
    assert.equal(await installed(mine), 'harun_pipdep-1.0');
    s = await step('absent again', { virtualenv_command: base.virtualenv_command, name: 'harun-pipdemo', state: 'absent' });
    assert.deepEqual([s.r.changed, s.trips], [false, 1]);
  } finally {
    await t2?.close();
  }
});
