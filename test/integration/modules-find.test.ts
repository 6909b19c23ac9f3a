import { test } from 'node:test';
import assert from 'node:assert/strict';
import { find, normpath } from '../../src/modules/find.js';
import { pyToEre } from '../../src/modules/lib/ere.js';
import { ansibleModule } from '../../src/modules/index.js';
import { parseArgs } from '../../src/modules/lib/args.js';
import { sshHost } from '../helpers/remote.js';

const h = sshHost();
const { run } = h;
const ref = ansibleModule('find')?.def;
const NO_ANSIBLE = "Debian's ansible is not installed: no comparison with Ansible's module";

const sh = async (cmd: string) => {
  const r = await h.t.exec(cmd as never);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
};
/** A result as users register it; Ansible's own `invocation` echo left out. */
const seen = (r: Record<string, unknown>) => {
  const { invocation: _, ...rest } = r;
  return JSON.parse(JSON.stringify(rest));
};
const paths = (r: Record<string, unknown>) => (r.files as { path: string }[]).map((f) => f.path);

/**
 * The scratch tree: nested and hidden directories, a hidden file, links (to a directory, to a
 * file, dangling), a fifo, files of several sizes and ages, a CRLF file, names with a space and a
 * newline; under `locked/` a directory this user cannot list.
 */
async function tree(): Promise<string> {
  const t = `${h.dir}/t`;
  await sh(`set -e; mkdir -p '${t}' && cd '${t}'
mkdir -p a/b/c .hd/x empty locked/ok locked/no/in
printf 'hello world\\nport=80\\n' > conf.txt; printf 'x=1\\r\\ny=2\\r\\n' > crlf.ini; head -c 3000 /dev/zero > big.bin
echo small > a/s.log; echo 'ERROR one' > a/b/app.log; printf 'line1\\nfoo bar\\n' > a/b/c/deep.txt
printf 'no newline' > a/b/c/tail.txt; echo hid > .hidden; echo h2 > .hd/x/in.txt; echo f > locked/ok/f
echo n > 'sp ace.log'; echo nl > 'new
line.log'
ln -s a linkdir; ln -s conf.txt linkfile; ln -s missing broken; mkfifo a/fifo
touch -d '10 days ago' a/s.log; touch -d '3 hours ago' conf.txt; touch -d '2 weeks ago' big.bin
chmod 000 locked/no
# read every file and list every directory once, so that the atimes both modules report stay put
find . -type f -exec cat {} + >/dev/null 2>&1 || true`);
  return t;
}

test('find: Ansible 2.14 semantics as parsed (aliases, defaults, bad arguments rejected)', () => {
  const a = parseArgs('find', find.schema, { path: '/tmp,/var', pattern: '*.log', exclude: 'x*' });
  assert.deepEqual([a.paths, a.patterns, a.excludes, a.file_type, a.age_stamp, a.recurse, a.hidden], [['/tmp', '/var'], ['*.log'], ['x*'], 'file', 'mtime', false, false]);
  assert.throws(() => parseArgs('find', find.schema, { paths: '/tmp', age: '2 days' }), /argument age: failed to process age/);
  assert.throws(() => parseArgs('find', find.schema, { paths: '/tmp', size: '1x' }), /argument size: failed to process size/);
  assert.throws(() => parseArgs('find', find.schema, { paths: '/tmp', file_type: 'socket' }), /argument file_type: expected one of any, directory, file, link/);
  assert.throws(() => parseArgs('find', find.schema, { name: '/tmp', path: '/var' }), /path is an alias of paths/);
  assert.throws(() => parseArgs('find', find.schema, { paths: '/tmp', checksum_algorithm: 'md5' }), /unsupported argument checksum_algorithm/);
  assert.throws(() => parseArgs('find', find.schema, {}), /argument paths/);
  assert.throws(() => parseArgs('find', find.schema, { paths: '/tmp', patterns: '(', use_regex: true }), /argument patterns: invalid regular expression/);
  // what grep -E cannot do is refused when the playbook loads, with the reason
  assert.throws(() => parseArgs('find', find.schema, { paths: '/tmp', contains: 'a(?=b)' }), /argument contains: cannot translate 'a\(\?=b\)' to a grep -E pattern: lookahead/);
  assert.throws(() => parseArgs('find', find.schema, { paths: '/tmp', contains: 'a++' }), /possessive/);
  assert.throws(() => parseArgs('find', find.schema, { paths: '/tmp', contains: '(?x) a' }), /verbose/);
  // contains only counts for file_type file, as in Ansible (which never compiles it otherwise)
  assert.equal(parseArgs('find', find.schema, { paths: '/tmp', contains: 'a(?=b)', file_type: 'any' }).contains, 'a(?=b)');
});

test('find: Python regexes as grep -E patterns, and posixpath.normpath', () => {
  // NL (\x01) stands for the newline; fast: nothing can match one, so grep may read files as they are
  assert.deepEqual(pyToEre('port=\\d+$'), { re: 'port=[0-9]+(\x01?$)', icase: false, fast: true });
  assert.deepEqual(pyToEre('(?i)(?P<x>ab)c*?(?P=x)'), { re: '(ab)c*\\2', icase: true, fast: true });
  assert.deepEqual(pyToEre('a.b\\s[^\\]x]'), { re: 'a[^\x01]b[[:space:]\x01][^]x]', icase: false, fast: false });
  assert.deepEqual(pyToEre('x{,2}y{3}z{[-^]'), { re: 'x{0,2}y{3}z\\{[-^]', icase: false, fast: true });
  assert.throws(() => pyToEre('a$b'), /\$ before more of the pattern/);
  assert.throws(() => pyToEre('(?m)a^b'), /\^ after other text/);
  assert.throws(() => pyToEre('[^\\W\\d]'), /\\W inside a larger character set/);
  assert.deepEqual(['/a/./b/../c/', '//x/', '///x', 'a/..', '', '../a'].map(normpath), ['/a/c', '//x', '/x', '.', '.', '../a']);
});

test('find: the same matches, stats, order and counts as Ansible\'s module, in one round trip', { skip: !ref && NO_ANSIBLE }, async () => {
  const t = await tree();
  try {
    const cases: Record<string, unknown>[] = [
      { paths: t },
      { paths: t, recurse: true, hidden: true, file_type: 'any' },
      { paths: t, recurse: true, file_type: 'directory', hidden: true },
      { paths: `${t}/a,${t}/linkdir`, recurse: true, follow: true, file_type: 'any' },
      { paths: [`${t}/a`, `${t}/.hd`], recurse: true, patterns: ['*.log', '*.txt'], excludes: 'app*', hidden: true },
      // re.match: anchored at the start only, not a full match
      { paths: `${t},${t}/a/b`, patterns: ['co', 'new\\nl', '.*\\.(log|txt)$'], excludes: 'sp', use_regex: true, file_type: 'any' },
      { paths: t, age: '2d', file_type: 'link' },
      { paths: t, age: '-1W', age_stamp: 'ctime', file_type: 'any' },
      { paths: t, size: '1k' },
      { paths: t, size: '-10', file_type: 'any', recurse: true, hidden: true, get_checksum: true },
      { paths: `${t}/a`, recurse: true, contains: '\\w+ (bar|one)$', get_checksum: true },
      // \s may match a line's newline, \Z only the end of an unterminated last line; CRLF lines
      { paths: [t, `${t}/a/b/c`], contains: '(.*\\s){2}|.*newline\\Z|x=1$' },
      { paths: [t, `${t}/a/b/c`], contains: '(?i)HELLO.*\\nport=\\d+$|.*newline$', read_whole_file: true },
      { paths: `${t}/./a/..//`, recurse: true, depth: 2, file_type: 'any' },
      { paths: `${t}/locked`, recurse: true, file_type: 'any' },
      { paths: [`${t}/locked/no`, `${t}/conf.txt`, `${t}/empty`, '~/harun-find-nope', '$HOME/x', '${HARUN_UNSET}/y'], get_checksum: true },
    ];
    for (const args of cases) {
      const mine = await run(find, args);
      const theirs = await run(ref!, args);
      const what = JSON.stringify(args);
      assert.deepEqual([mine.r.changed, mine.trips], [false, 1], what);
      assert.deepEqual(paths(mine.r), paths(theirs.r), what);
      assert.deepEqual(seen(mine.r), seen(theirs.r), what);
    }
    // os.walk stopped at the directory it could not list; the cases did reach what they are about
    const part = await run(find, { paths: t, recurse: true, hidden: true, file_type: 'any' });
    assert.match(String(part.r.msg), /Not all paths examined/);
    assert.deepEqual(Object.values(part.r.skipped_paths as object), [`[Errno 13] Permission denied: '${t}/locked/no'`]);
    await sh(`chmod 755 '${t}/locked/no'`);
    const all = await run(find, { paths: t, recurse: true, hidden: true, file_type: 'any' });
    const names = paths(all.r).map((p) => p.slice(t.length + 1));
    for (const n of ['sp ace.log', 'new\nline.log', '.hidden', '.hd/x/in.txt', 'linkdir', 'broken', 'a/fifo', 'a/b/c/deep.txt', 'locked/no/in']) assert.ok(names.includes(n), n);
    assert.deepEqual([all.r.msg, all.r.matched, all.r.examined], ['All paths examined', names.length, names.length]);
  } finally {
    await sh(`chmod 755 '${t}/locked/no'`);
  }
});

test('find: check mode reports the same and leaves the tree alone; results carry the stat keys', async () => {
  const t = `${h.dir}/c`;
  await sh(`mkdir -p '${t}/d' && cd '${t}' && printf 'abc' > f && chmod 4750 f && ln -s f l`);
  const before = await sh(`cd '${t}' && find . -printf '%p %m %s %T@ %C@\\n' | sort`);
  // reading f and following l move their atimes once (relatime): a first run takes that step
  await run(find, { paths: t, file_type: 'any', get_checksum: true });
  const r1 = await run(find, { paths: t, file_type: 'any', get_checksum: true });
  const r2 = await run(find, { paths: t, file_type: 'any', get_checksum: true }, { check: true });
  assert.deepEqual([r2.r.changed, r2.trips], [false, 1]);
  assert.deepEqual(seen(r2.r), seen(r1.r));
  assert.equal(await sh(`cd '${t}' && find . -printf '%p %m %s %T@ %C@\\n' | sort`), before);
  const f = (r1.r.files as Record<string, unknown>[]).find((x) => x.path === `${t}/f`)!;
  const [ino, mtime] = (await sh(`stat -c '%i %Y' '${t}/f'`)).trim().split(' ').map(Number);
  assert.deepEqual(
    [f.mode, f.isreg, f.islnk, f.size, f.inode, Math.floor(f.mtime as number), f.isuid, f.xgrp, f.roth, f.pw_name, f.checksum],
    ['4750', true, false, 3, ino, mtime, true, true, false, h.fleet.user, 'a9993e364706816aba3e25717850c26c9cd0d89d'],
  );
  const l = (r1.r.files as Record<string, unknown>[]).find((x) => x.path === `${t}/l`)!;
  assert.deepEqual([l.islnk, l.mode, l.checksum], [true, '0777', undefined]);
  assert.deepEqual([r1.r.matched, r1.r.examined, r1.r.msg, r1.r.skipped_paths], [3, 3, 'All paths examined', {}]);
});
