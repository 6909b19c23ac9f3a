import { test, type TestOptions } from 'node:test';
import assert from 'node:assert/strict';
import { createContext } from '../../src/engine/context.js';
import { cron, CronTab } from '../../src/modules/cron.js';
import { ansibleModule } from '../../src/modules/index.js';
import { parseArgs } from '../../src/modules/lib/args.js';
import type { ModuleDef, ModuleResult } from '../../src/modules/types.js';
import { FLEET_PW_USER } from '../fixtures/sshd.js';
import { sshHost } from '../helpers/remote.js';

/*
 * The module edits the fleet login user's own crontab (the tests run as that user over the
 * loopback sshd), cron files inside the scratch dir, and, through sudo, the crontab of the
 * fleet's second test user. Every crontab is emptied before each use and removed at the end.
 */
const h = sshHost();
const { run } = h;
const ref = ansibleModule('cron')?.def;
const NO_ANSIBLE = ref ? false : "Debian's ansible is not installed: no comparison with Ansible's cron module";

const sudo = { become: true, user: 'root', method: 'sudo' as const };

/** The login user's crontab as crontab -l prints it ('' when there is none). */
async function crontab(user?: string): Promise<string> {
  const r = await h.t.exec(user ? `sudo -n crontab -u ${user} -l` : 'crontab -l');
  return r.code === 0 ? r.stdout : '';
}

async function clearCrontab(user?: string): Promise<void> {
  await h.t.exec(user ? `sudo -n crontab -u ${user} -r` : 'crontab -r');
  assert.equal(await crontab(user), '');
}

/** A test that starts and ends with both crontabs removed, whatever happens in between. */
function cronTest(name: string, opts: TestOptions, fn: () => Promise<void>) {
  test(name, opts, async () => {
    try {
      await clearCrontab();
      await clearCrontab(FLEET_PW_USER);
      await fn();
    } finally {
      await h.t.exec('crontab -r');
      await h.t.exec(`sudo -n crontab -u ${FLEET_PW_USER} -r`);
    }
  });
}

/** Run a module as root (sudo) over the same connection: crontab -u needs it. */
async function runAsRoot(mod: ModuleDef, args: unknown, o: { check?: boolean; diff?: boolean } = {}) {
  const ctx = createContext({
    host: h.t.host, transport: h.t, vars: {}, check: o.check ?? false, diff: o.diff ?? false, signal: new AbortController().signal,
    wrapping: { become: sudo }, facts: async () => ({}), findLocal: (_k, s) => s, render: (t) => t,
    evaluate: () => undefined, log: () => {},
  });
  return mod.run(ctx, parseArgs(mod.name, mod.schema, args));
}

/** The keys of a cron result that playbooks read, for comparing harun's with Ansible's. */
function keys(r: ModuleResult) {
  const pick: Record<string, unknown> = { changed: r.changed, failed: r.failed ?? false };
  for (const k of ['msg', 'jobs', 'envs', 'warnings', 'diff', 'cron_file', 'state']) if (r[k] !== undefined) pick[k] = r[k];
  return pick;
}

cronTest('job in the login user\'s crontab: check, converge, rerun in one trip, schedule, disable, remove', {}, async () => {
  const args = { name: 'backup', minute: 0, hour: '2', job: '/usr/local/bin/backup.sh' };
  const chk = await run(cron, args, { check: true, diff: true });
  assert.deepEqual([chk.r.changed, chk.trips], [true, 1]);
  assert.deepEqual(chk.r.diff, [{ path: 'crontab', before: '', after: '#Ansible: backup\n0 2 * * * /usr/local/bin/backup.sh\n', beforeHeader: 'crontab', afterHeader: 'crontab' }]);
  assert.equal(await crontab(), '', 'check mode left the crontab alone');

  const r1 = await run(cron, args);
  assert.deepEqual([r1.r.changed, r1.trips], [true, 2]);
  assert.deepEqual({ jobs: r1.r.jobs, envs: r1.r.envs, warnings: r1.r.warnings }, { jobs: ['backup'], envs: [], warnings: [] });
  assert.equal(await crontab(), '#Ansible: backup\n0 2 * * * /usr/local/bin/backup.sh\n');
  const r2 = await run(cron, args);
  assert.deepEqual([r2.r.changed, r2.trips], [false, 1]);
  assert.equal(r2.r.diff, undefined);

  // a second job goes at the end; a new schedule replaces the line under the marker
  await run(cron, { name: 'reboot', special_time: 'reboot', job: '/bin/true' });
  const r3 = await run(cron, { ...args, minute: '*/5', dow: '1-5' }, { diff: true });
  assert.equal(r3.r.changed, true);
  assert.equal(r3.r.diff?.[0].before, '#Ansible: backup\n0 2 * * * /usr/local/bin/backup.sh\n#Ansible: reboot\n@reboot /bin/true\n');
  assert.equal(await crontab(), '#Ansible: backup\n*/5 2 * * 1-5 /usr/local/bin/backup.sh\n#Ansible: reboot\n@reboot /bin/true\n');

  const r4 = await run(cron, { ...args, minute: '*/5', dow: '1-5', disabled: true });
  assert.equal(r4.r.changed, true);
  assert.match(await crontab(), /^#Ansible: backup\n#\*\/5 2 \* \* 1-5 \/usr\/local\/bin\/backup\.sh\n/);

  const r5 = await run(cron, { name: 'backup', state: 'absent' });
  assert.deepEqual([r5.r.changed, r5.r.jobs], [true, ['reboot']]);
  assert.equal(await crontab(), '#Ansible: reboot\n@reboot /bin/true\n');
  const r6 = await run(cron, { name: 'backup', state: 'absent' });
  assert.deepEqual([r6.r.changed, r6.trips], [false, 1]);

  // a job line already there without its marker gets one (Ansible adopts it)
  await h.t.exec('crontab -', { stdin: '# mine\n5 4 * * * /bin/date\n' });
  const r7 = await run(cron, { name: 'date', minute: 5, hour: 4, job: '/bin/date' });
  assert.equal(r7.r.changed, true);
  assert.equal(await crontab(), '# mine\n#Ansible: date\n5 4 * * * /bin/date\n');
});

cronTest('environment variables: on top, insertafter, insertbefore, update, remove', {}, async () => {
  await run(cron, { name: 'job', job: '/bin/true' });
  const p = await run(cron, { name: 'PATH', env: true, job: '/usr/bin:/bin' });
  assert.deepEqual([p.r.changed, p.r.envs], [true, ['PATH']]);
  assert.equal((await run(cron, { name: 'APP', env: true, value: '/srv/app', insertafter: 'PATH' })).r.changed, true);
  assert.equal((await run(cron, { name: 'MAILTO', env: true, value: '', insertbefore: 'PATH' })).r.changed, true);
  assert.equal(await crontab(), 'MAILTO=""\nPATH="/usr/bin:/bin"\nAPP="/srv/app"\n#Ansible: job\n* * * * * /bin/true\n');
  const same = await run(cron, { name: 'PATH', env: true, job: '/usr/bin:/bin' });
  assert.deepEqual([same.r.changed, same.trips], [false, 1]);
  const upd = await run(cron, { name: 'APP', env: true, job: '/opt/app' }, { diff: true });
  assert.equal(upd.r.changed, true);
  assert.match(upd.r.diff?.[0].after ?? '', /^APP="\/opt\/app"$/m);
  const miss = await run(cron, { name: 'X', env: true, job: '1', insertafter: 'NOPE' });
  assert.deepEqual([miss.r.failed, miss.r.msg], [true, "Variable named 'NOPE' not found."]);
  const rm = await run(cron, { name: 'MAILTO', env: true, state: 'absent' });
  assert.deepEqual([rm.r.changed, rm.r.envs], [true, ['PATH', 'APP']]);
  assert.equal(await crontab(), 'PATH="/usr/bin:/bin"\nAPP="/opt/app"\n#Ansible: job\n* * * * * /bin/true\n');
});

cronTest('cron_file: absolute path, user column, warning for the name, last job removes the file; backup', {}, async () => {
  const file = `${h.dir}/harun_cron`;
  const args = { name: 'sync', cron_file: file, user: 'root', special_time: 'hourly', job: '/usr/bin/sync' };
  const chk = await run(cron, args, { check: true });
  assert.deepEqual([chk.r.changed, chk.r.cron_file], [true, file]);
  assert.equal((await h.t.exec(`test -e ${file}; echo $?`)).stdout.trim(), '1');
  const r1 = await run(cron, args);
  assert.deepEqual([r1.r.changed, r1.trips, r1.r.warnings], [true, 2, []]);
  assert.equal((await h.t.exec(`stat -c %a ${file} && cat ${file}`)).stdout, '644\n#Ansible: sync\n@hourly root /usr/bin/sync\n');
  assert.deepEqual([(await run(cron, args)).r.changed, (await run(cron, args)).trips], [false, 1]);

  // backup: the crontab before the change, in a temp file, only when something changed
  const b = await run(cron, { ...args, name: 'two', special_time: undefined, minute: 1, job: 'x', backup: true });
  assert.equal(b.r.changed, true);
  assert.match(String(b.r.backup_file), /\/crontab\w{8}$/);
  assert.equal((await h.t.exec(`cat ${b.r.backup_file}; rm -f ${b.r.backup_file}`)).stdout, '#Ansible: sync\n@hourly root /usr/bin/sync\n');
  assert.equal((await run(cron, { ...args, backup: true })).r.backup_file, undefined);

  assert.equal((await run(cron, { name: 'two', cron_file: file, state: 'absent' })).r.changed, true);
  const last = await run(cron, { name: 'sync', cron_file: file, state: 'absent' }, { diff: true });
  assert.deepEqual(last.r, {
    changed: true, cron_file: file, state: 'absent',
    diff: [{ path: file, before: '#Ansible: sync\n@hourly root /usr/bin/sync\n', after: '', beforeHeader: file, afterHeader: '/dev/null' }],
  });
  assert.equal((await h.t.exec(`test -e ${file}; echo $?`)).stdout.trim(), '1');

  // a file without its final line break gets one, though the job is there (Ansible's rule)
  await h.t.exec(`printf '#Ansible: sync\\n@hourly root /usr/bin/sync' > ${file}`);
  assert.equal((await run(cron, args)).r.changed, true);
  assert.equal((await h.t.exec(`cat ${file}`)).stdout, '#Ansible: sync\n@hourly root /usr/bin/sync\n');
  assert.equal((await run(cron, args)).r.changed, false);

  const dotted = await run(cron, { ...args, cron_file: `${h.dir}/bad.name` }, { check: true });
  assert.deepEqual(dotted.r.warnings, ['Filename portion of cron_file ("bad.name") should consist solely of upper- and lower-case letters, digits, underscores, and hyphens']);
});

cronTest("another user's crontab through crontab -u (as root)", {}, async () => {
  const args = { name: 'other', user: FLEET_PW_USER, hour: 3, job: 'echo hi' };
  const r = await runAsRoot(cron, args, { diff: true });
  assert.equal(r.changed, true);
  assert.equal(r.diff?.[0].beforeHeader, `crontab for user "${FLEET_PW_USER}"`);
  assert.equal(await crontab(FLEET_PW_USER), '#Ansible: other\n* 3 * * * echo hi\n');
  assert.equal(await crontab(), '', "the login user's crontab is untouched");
  assert.equal((await runAsRoot(cron, args)).changed, false);
  // the login user itself cannot use -u for someone else: crontab's refusal is the message
  const denied = await run(cron, { ...args, job: 'echo other' });
  assert.equal(denied.r.failed, true);
  assert.match(String(denied.r.msg), /privileged|not allowed|permitted/i);
});

test('arguments: Ansible\'s checks fail before any host is touched', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ name: 'a', job: 'x', special_time: 'daily', minute: '5' }, /You must specify time and date fields or special time\./],
    [{ name: 'a', job: 'x', cron_file: 'f' }, /To use cron_file=\.\.\. parameter you must specify user=\.\.\. as well/],
    [{ name: 'a' }, /You must specify 'job' to install a new cron job or variable/],
    [{ name: 'a', job: 'x', insertafter: 'B' }, /valid only with env=yes/],
    [{ name: 'a', job: 'x', env: true, insertafter: 'B', insertbefore: 'C' }, /mutually exclusive: insertafter\|insertbefore/],
    [{ name: 'a b', job: 'x', env: true }, /Invalid name for environment variable/],
    [{ name: 'a', job: 'x', cron_file: '/etc/crontab', user: 'root' }, /Will not manage \/etc\/crontab/],
    [{ name: 'a', job: 'x', special_time: 'sometimes' }, /argument special_time: expected one of annually/],
    [{ name: 'a', job: 'x', value: 'y' }, /value is an alias of job/],
    [{ name: 'a', job: 'x', bogus: 1 }, /unsupported argument bogus/],
    [{ job: 'x' }, /argument name/],
  ];
  for (const [args, re] of bad) assert.throws(() => parseArgs('cron', cron.schema, args), re, JSON.stringify(args));
  const ok = parseArgs('cron', cron.schema, { name: 'a', dom: 1, dow: '0', value: 'x', disabled: 'yes' });
  assert.deepEqual([ok.day, ok.weekday, ok.job, ok.disabled, ok.minute, ok.state], ['1', '0', 'x', true, '*', 'present']);
  assert.doesNotThrow(() => parseArgs('cron', cron.schema, { name: 'a', state: 'absent', cron_file: 'f' }));
});

test("crontab -l's header lines are dropped as Ansible drops them (only among the first three)", () => {
  const head = '# DO NOT EDIT THIS FILE - edit the master and reinstall.\n# (/tmp/crontab.Ab installed on Thu Jan  1 00:00:00 2026)\n# (Cron version -- $Id: crontab.c,v 2.13 vixie $)\n';
  const t = CronTab.fromCrontabL(`${head}#Ansible: a\r\n* * * * * a\n# (Cron version -- kept)\n`);
  assert.deepEqual(t.lines, ['#Ansible: a', '* * * * * a', '# (Cron version -- kept)']);
  assert.equal(t.existing, '#Ansible: a\r\n* * * * * a\n# (Cron version -- kept)\n');
  assert.equal(t.render(), '#Ansible: a\n* * * * * a\n# (Cron version -- kept)\n');
  assert.deepEqual(CronTab.fromCrontabL('').lines, []);
});

/** The same tasks, as [args, options]: what each run reports and the crontab it leaves must match Ansible's. */
const STEPS: [Record<string, unknown>, { check?: boolean; diff?: boolean }][] = [
  [{ name: 'PATH', env: true, job: '/usr/bin:/bin' }, { diff: true }],
  [{ name: 'nightly', minute: 30, hour: 1, job: '/usr/bin/nightly --quiet' }, { check: true, diff: true }],
  [{ name: 'nightly', minute: 30, hour: 1, job: '/usr/bin/nightly --quiet' }, { diff: true }],
  [{ name: 'weekly', special_time: 'weekly', job: 'run-parts /x\n', disabled: true }, {}],
  [{ name: 'nightly', minute: 45, hour: 1, dom: '1,15', job: '/usr/bin/nightly --quiet' }, { diff: true }],
  [{ name: 'HOME', env: true, value: '/tmp', insertbefore: 'PATH' }, { diff: true }],
  [{ name: 'multi', job: '/bin/echo a\n# more' }, {}],
  [{ name: 'bad', minute: 99, job: '/bin/true' }, {}],
  [{ name: 'nightly', state: 'absent' }, { diff: true }],
];

/** Play STEPS on the login user's empty crontab; the crontab stays as the last step left it. */
async function playSteps(mod: ModuleDef) {
  await clearCrontab();
  const seen = [];
  for (const [args, o] of STEPS) {
    const { r } = await run(mod, args, o);
    // crontab names the file it was given (Ansible's temp file, harun's stdin) in its complaints
    if (typeof r.msg === 'string') r.msg = r.msg.replace(/^"[^"]*":/gm, '"FILE":');
    seen.push({ args, o, result: keys(r), crontab: await crontab() });
  }
  return seen;
}

cronTest("the same tasks as Ansible's cron module: results and crontab text alike, and each takes over the other's crontab", { skip: NO_ANSIBLE }, async () => {
  const theirs = await playSteps(ref!);
  // what Ansible wrote, harun finds converged (interchangeable markers and job lines)
  for (const i of [0, 3, 5]) assert.equal((await run(cron, STEPS[i][0])).r.changed, false, `harun on Ansible's crontab, step ${i}`);
  const ours = await playSteps(cron);
  for (let i = 0; i < STEPS.length; i++) assert.deepEqual(ours[i], theirs[i], `step ${i}: ${JSON.stringify(STEPS[i])}`);
  // and the other way round
  const back = await run(ref!, STEPS[3][0]);
  assert.deepEqual([back.r.failed ?? false, back.r.changed], [false, false]);
});

cronTest("cron_file and another user's crontab, compared with Ansible's cron module", { skip: NO_ANSIBLE }, async () => {
  const tasks: [Record<string, unknown>, { check?: boolean; diff?: boolean }][] = [
    [{ name: 'a', user: 'nobody', hour: '*/2', job: 'true' }, { diff: true }],
    [{ name: 'a', state: 'absent' }, { check: true, diff: true }],
    [{ name: 'a', state: 'absent' }, { diff: true }],
  ];
  const results = [];
  for (const [who, mod] of [['ansible', ref!], ['harun', cron]] as const) {
    const file = `${h.dir}/cf-${who}`;
    const seen = [];
    for (const [args, o] of tasks) {
      const r = keys((await run(mod, { ...args, cron_file: file }, o)).r);
      const text = (await h.t.exec(`cat ${file} 2>/dev/null || echo ABSENT`)).stdout;
      seen.push(JSON.parse(JSON.stringify({ r, text }).replaceAll(file, 'FILE')));
    }
    results.push(seen);
  }
  assert.deepEqual(results[1], results[0]);
  assert.equal(results[0][2].text, 'ABSENT\n');

  // crontab -u as root: Ansible's and harun's on the second user's crontab
  const user = [];
  for (const mod of [ref!, cron]) {
    await clearCrontab(FLEET_PW_USER);
    const r = await runAsRoot(mod, { name: 'u', user: FLEET_PW_USER, minute: 7, job: 'id' }, { diff: true });
    user.push({ r: keys(r), text: await crontab(FLEET_PW_USER) });
  }
  assert.deepEqual(user[1], user[0]);
});
