import { test } from 'node:test';
import assert from 'node:assert/strict';
import { git } from '../../src/modules/git.js';
import { ansibleModule } from '../../src/modules/index.js';
import { parseArgs } from '../../src/modules/lib/args.js';
import type { ModuleDef, ModuleResult } from '../../src/modules/types.js';
import { sshHost } from '../helpers/remote.js';

/*
 * Every repository is local to the host: an upstream bare repository made in the scratch dir
 * h.dir (by the fleet's login user, over the loopback sshd), cloned by its plain path or a
 * file:// URL. No network beyond loopback.
 */
const h = sshHost();
const { run } = h;
const ref = ansibleModule('git')?.def;
const NO_ANSIBLE = ref ? false : "Debian's ansible is not installed: no comparison with Ansible's git module";

const GIT = 'git -c user.name=harun -c user.email=harun@example.invalid';

/** A command on the host that must succeed; its stdout, trimmed. */
async function hx(cmd: string): Promise<string> {
  const r = await h.t.exec(cmd);
  assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
  return r.stdout.trim();
}

/** An upstream: a work tree `src` with one commit (tags v1, annotated v2, branch feature) pushed to bare `up.git`. */
async function upstream(name: string): Promise<{ up: string; src: string; first: string }> {
  const base = `${h.dir}/${name}`;
  await hx(`mkdir -p ${base} && cd ${base} && git init -q -b main src && cd src && echo one > f && ${GIT} add f && ${GIT} commit -qm one ` +
    `&& git tag v1 && ${GIT} tag -a v2 -m v2 && git branch feature && git clone -q --bare . ../up.git`);
  return { up: `${base}/up.git`, src: `${base}/src`, first: await hx(`git -C ${base}/up.git rev-parse main`) };
}

/** A new commit on branch main of the upstream; its SHA. */
async function push(src: string, line: string): Promise<string> {
  await hx(`cd ${src} && echo ${line} >> f && ${GIT} commit -qam ${line} && git push -q ../up.git main`);
  return hx(`git -C ${src} rev-parse HEAD`);
}

const head = (dest: string) => hx(`git -C ${dest} rev-parse HEAD`);

test('arguments: Ansible\'s alias, exclusions and umask rule; bad ones refused before any host', () => {
  const a = parseArgs('git', git.schema, { name: '/r.git', dest: '/d' });
  assert.deepEqual([a.repo, a.version, a.remote, a.force, a.recursive, a.clone, a.update], ['/r.git', 'HEAD', 'origin', false, true, true, true]);
  assert.throws(() => parseArgs('git', git.schema, { repo: '/r', dest: '/d', bogus: 1 }), /unsupported argument bogus/);
  assert.throws(() => parseArgs('git', git.schema, { dest: '/d' }), /argument repo/);
  assert.throws(() => parseArgs('git', git.schema, { repo: '/r', name: '/r', dest: '/d' }), /name is an alias of repo/);
  assert.throws(() => parseArgs('git', git.schema, { repo: '/r', dest: '/d', accept_hostkey: true, accept_newhostkey: false }), /mutually exclusive: accept_hostkey\|accept_newhostkey/);
  assert.throws(() => parseArgs('git', git.schema, { repo: '/r', dest: '/d', bare: true, separate_git_dir: '/g' }), /mutually exclusive: separate_git_dir\|bare/);
  assert.throws(() => parseArgs('git', git.schema, { repo: '/r', dest: '/d', archive_prefix: 'p/' }), /required by 'archive_prefix': archive/);
  assert.throws(() => parseArgs('git', git.schema, { repo: '/r', dest: '/d', umask: 18 }), /umask must be defined as a quoted octal integer/);
  assert.throws(() => parseArgs('git', git.schema, { repo: '/r', dest: '/d', umask: '0x12' }), /umask must be an octal integer/);
  assert.throws(() => parseArgs('git', git.schema, { repo: '/r', dest: '/d', depth: 'deep' }), /argument depth/);
});

test('clone at HEAD, rerun unchanged, check mode on a pending update fetches nothing, update with before/after and diff', async () => {
  const { up, src, first } = await upstream('main');
  const dest = `${h.dir}/main/co`;
  const args = { repo: up, dest };

  const chk0 = await run(git, args, { check: true, diff: true });
  assert.deepEqual([chk0.r.changed, chk0.r.before, chk0.r.after, chk0.trips], [true, null, first, 1]);
  assert.equal(chk0.r.diff?.[0].prepared, `>> Newly checked out ${first}`);
  assert.equal((await h.t.exec(`test -e ${dest}`)).code, 1, 'check mode made no checkout');

  const r1 = await run(git, args);
  assert.deepEqual([r1.r.changed, r1.r.before, r1.r.after, r1.trips], [true, null, first, 1]);
  assert.equal(await hx(`cat ${dest}/f`), 'one');
  assert.equal(await hx(`git -C ${dest} remote get-url origin`), `file://${up}`, 'a plain path is cloned as a file:// URL, as Ansible does');

  const r2 = await run(git, args);
  assert.deepEqual([r2.r.changed, r2.r.before, r2.r.after, r2.r.remote_url_changed, r2.trips], [false, first, first, false, 1]);

  const second = await push(src, 'two');
  const chk = await run(git, args, { check: true });
  assert.deepEqual([chk.r.changed, chk.r.before, chk.r.after, chk.trips], [true, first, second, 1]);
  assert.equal(await head(dest), first, 'check mode left the checkout');
  assert.notEqual((await h.t.exec(`git -C ${dest} cat-file -e ${second}`)).code, 0, 'check mode fetched nothing into dest');
  assert.equal(await hx(`git -C ${dest} rev-parse origin/main`), first);

  const r3 = await run(git, args, { diff: true });
  assert.deepEqual([r3.r.changed, r3.r.before, r3.r.after, r3.trips], [true, first, second, 1]);
  assert.match(r3.r.diff?.[0].prepared ?? '', /^diff --git a\/f b\/f\n[\s\S]*\n one\n\+two\n$/);
  assert.equal(await hx(`cat ${dest}/f`), 'one\ntwo');
  const r4 = await run(git, args, { diff: true });
  assert.deepEqual([r4.r.changed, r4.r.diff, r4.trips], [false, undefined, 1]);
});

test('version: an annotated tag (its commit), a SHA, a branch; each rerun unchanged in one trip', async () => {
  const { up, src, first } = await upstream('ver');
  const second = await push(src, 'two');
  const dest = `${h.dir}/ver/co`;
  assert.equal((await run(git, { repo: up, dest })).r.after, second);

  const tag = await run(git, { repo: up, dest, version: 'v2' });
  assert.deepEqual([tag.r.changed, tag.r.before, tag.r.after], [true, second, first]);
  assert.equal(await head(dest), first, 'the commit the tag object names is checked out');
  const tag2 = await run(git, { repo: up, dest, version: 'v2' });
  assert.deepEqual([tag2.r.changed, tag2.trips], [false, 1]);

  const sha = await run(git, { repo: `file://${up}`, dest, version: second });
  assert.deepEqual([sha.r.changed, sha.r.before, sha.r.after], [true, first, second]);
  const sha2 = await run(git, { repo: `file://${up}`, dest, version: second });
  assert.deepEqual([sha2.r.changed, sha2.trips], [false, 1]);

  const br = await run(git, { repo: up, dest, version: 'feature' });
  assert.deepEqual([br.r.changed, br.r.after], [true, first]);
  assert.equal(await hx(`git -C ${dest} symbolic-ref HEAD`), 'refs/heads/feature');
  const chk = await run(git, { repo: up, dest, version: 'nosuch' }, { check: true });
  assert.deepEqual([chk.r.changed, chk.r.after], [true, 'nosuch'], 'an unknown version is taken for a SHA, as Ansible does');
  const bad = await run(git, { repo: up, dest, version: 'nosuch' });
  assert.deepEqual([bad.r.failed, bad.r.msg], [true, 'Failed to checkout nosuch']);
});

test('depth=1: a shallow clone of one commit, rerun unchanged, an update stays shallow', async () => {
  const { up, src } = await upstream('shallow');
  const second = await push(src, 'two');
  const dest = `${h.dir}/shallow/co`;
  const r1 = await run(git, { repo: up, dest, depth: 1 });
  assert.deepEqual([r1.r.changed, r1.r.after, r1.trips], [true, second, 1]);
  assert.equal(await hx(`git -C ${dest} rev-list --count HEAD`), '1');
  assert.equal(await hx(`git -C ${dest} rev-parse --is-shallow-repository`), 'true');
  assert.deepEqual([(await run(git, { repo: up, dest, depth: 1 })).r.changed], [false]);
  const third = await push(src, 'three');
  const r2 = await run(git, { repo: up, dest, depth: 1 });
  assert.deepEqual([r2.r.changed, r2.r.before, r2.r.after], [true, second, third]);
  assert.equal(await hx(`git -C ${dest} rev-parse --is-shallow-repository`), 'true');
});

test('local modifications: force=false fails with Ansible\'s message (also in check mode), force=true resets', async () => {
  const { up, first } = await upstream('dirty');
  const dest = `${h.dir}/dirty/co`;
  await run(git, { repo: up, dest });
  await hx(`echo local >> ${dest}/f && echo new > ${dest}/untracked`);
  for (const check of [false, true]) {
    const r = await run(git, { repo: up, dest }, { check });
    assert.deepEqual([r.r.failed, r.r.changed, r.r.msg, r.r.before, r.trips],
      [true, false, `Local modifications exist in the destination: ${dest} (force=no).`, first, 1]);
  }
  assert.equal(await hx(`cat ${dest}/f`), 'one\nlocal', 'the failed runs left the change');
  const chk = await run(git, { repo: up, dest, force: true }, { check: true });
  assert.equal(chk.r.changed, false, 'Ansible\'s check mode reports only a version change here');
  const r = await run(git, { repo: up, dest, force: true });
  assert.deepEqual([r.r.changed, r.r.msg, r.r.before, r.r.after], [true, `Local modifications exist in the destination: ${dest}`, first, first]);
  assert.equal(await hx(`cat ${dest}/f`), 'one');
  assert.equal(await hx(`cat ${dest}/untracked`), 'new', 'untracked files are not local modifications');
  assert.equal((await run(git, { repo: up, dest, force: true })).r.changed, false);
});

test('update=no, clone=no, bare, a changed remote URL, a missing repository', async () => {
  const { up, src, first } = await upstream('misc');
  const dest = `${h.dir}/misc/co`;
  const none = await run(git, { repo: up, dest, clone: false, update: false });
  assert.deepEqual([none.r.changed, none.r.before, none.r.after], [true, null, first]);
  assert.equal((await h.t.exec(`test -e ${dest}`)).code, 1);
  await run(git, { repo: up, dest });
  const second = await push(src, 'two');
  const noup = await run(git, { repo: up, dest, update: false });
  assert.deepEqual([noup.r.changed, noup.r.before, noup.r.after, noup.trips], [false, first, first, 1]);
  assert.equal(await head(dest), first);

  await hx(`cp -a ${up} ${h.dir}/misc/moved.git`);
  const moved = await run(git, { repo: `${h.dir}/misc/moved.git`, dest });
  assert.deepEqual([moved.r.changed, moved.r.remote_url_changed, moved.r.after], [true, true, second]);
  assert.equal(await hx(`git -C ${dest} remote get-url origin`), `file://${h.dir}/misc/moved.git`);

  const bare = `${h.dir}/misc/mirror.git`;
  const b1 = await run(git, { repo: up, dest: bare, bare: true });
  assert.deepEqual([b1.r.changed, b1.r.after], [true, second]);
  assert.equal(await hx(`git -C ${bare} rev-parse --is-bare-repository`), 'true');
  assert.equal((await run(git, { repo: up, dest: bare, bare: true })).r.changed, false);

  const missing = await run(git, { repo: `${h.dir}/misc/nope.git`, dest: `${h.dir}/misc/x` });
  assert.equal(missing.r.failed, true);
  assert.match(String(missing.r.msg), /does not appear to be a git repository/);
  assert.equal((await run(git, { repo: up })).r.msg, 'the destination directory must be specified unless clone=no');
});

/** The keys of a git result that playbooks register and read. */
function keys(r: ModuleResult) {
  const pick: Record<string, unknown> = { changed: r.changed, failed: r.failed ?? false };
  for (const k of ['before', 'after', 'remote_url_changed', 'msg']) if (r[k] !== undefined) pick[k] = r[k];
  return pick;
}

test('the same results as Ansible\'s git module, step by step on one upstream', { skip: NO_ANSIBLE }, async () => {
  const { up, src } = await upstream('cmp');
  const steps: [string, Record<string, unknown>, { check?: boolean }, string?][] = [
    ['clone', {}, {}],
    ['check a pending update', {}, { check: true }, 'push'],
    ['update', {}, {}],
    ['annotated tag', { version: 'v2' }, {}],
    ['dirty, force=no', {}, {}, 'dirty'],
  ];
  for (const [label, extra, o, before] of steps) {
    if (before === 'push') await push(src, 'two');
    const seen: { result: Record<string, unknown>; files?: string }[] = [];
    for (const mod of [git, ref!] as ModuleDef[]) {
      const base = `${h.dir}/cmp/${mod === git ? 'native' : 'ansible'}`;
      if (before === 'dirty') await hx(`echo local >> ${base}/f`);
      const args = { repo: up, ...extra, dest: base };
      const { r } = await run(mod, args, o);
      const files = o.check || r.failed ? undefined : await hx(`cat ${args.dest}/f && git -C ${args.dest} status --porcelain`);
      seen.push({ result: JSON.parse(JSON.stringify(keys(r)).replaceAll(base, 'DEST')), files });
    }
    assert.deepEqual(seen[0], seen[1], label);
  }
});
