import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import test from 'node:test';
import { joinSh, quote, raw, sh, words, type Sh } from '../../../src/shell/sh.js';
import { resolveBecome, wrap } from '../../../src/shell/wrap.js';

/** What /bin/sh prints for a command: the commands are run, not compared as text. */
const run = (cmd: Sh) => execFileSync('/bin/sh', ['-c', cmd], { encoding: 'utf8' });

test('sh`` quotes every value: a hostile value stays one argument', () => {
  const v = `a b'c"$(echo no);*`;
  assert.equal(run(sh`printf '%s|' ${v} ${['x y', '']}`), `${v}|x y||`);
  assert.equal(run(sh`printf '%s|' ${raw('one two')}`), 'one|two|', 'raw() text passes unquoted');
  assert.equal(quote('plain/path-1.conf'), 'plain/path-1.conf');
});

test('words() quotes each word and leaves out false and undefined; joinSh keeps shell text', () => {
  const cmd = words('printf', '%s|', 'a b', false, undefined, ['c;d', "e'f"]);
  assert.equal(cmd, `printf '%s|' 'a b' 'c;d' 'e'\\''f'`);
  assert.equal(run(joinSh([cmd, sh`echo ${'$HOME'}`], '; ')), 'a b|c;d|e\'f|$HOME\n');
});

test('wrap() takes and returns shell text: environment and chdir are quoted', () => {
  const w = wrap(sh`pwd; printf '%s' "$X"`, { chdir: '/', environment: { X: `it's $(no)` } });
  assert.equal(run(w.cmd), `/\nit's $(no)`);
});

test('wrap(): become to another user goes through sudo; to the login user itself, nothing is added', () => {
  const become = { become: true, user: 'root', method: 'sudo' as const };
  assert.match(wrap(sh`id -u`, { become }, 'deploy').cmd, /^sudo -H -n -u root -- \/bin\/sh -c 'id -u'$/);
  assert.match(wrap(sh`id -u`, { become }).cmd, /^sudo /, 'an unknown login user keeps sudo');
  assert.equal(wrap(sh`id -u`, { become, environment: { A: 'b' } }, 'root').cmd, `A=b && export A && id -u`);
  assert.equal(wrap(sh`id -u`, { become: { ...become, password: 'pw' } }, 'root').stdinPrefix, '', 'no password is sent for no sudo');
});

test('a plain string is not shell text: the compiler refuses it where a command is run', () => {
  const dir = '/tmp/x y';
  // @ts-expect-error a string joined from raw parts is not a command (the build fails if this compiles)
  const bad: Sh = 'ls ' + dir;
  // @ts-expect-error nor is sh`` text with a raw string appended
  const worse: Sh = sh`ls ${dir}` + '; ls ' + dir;
  assert.equal(typeof bad, 'string');
  assert.equal(typeof worse, 'string');
  assert.equal(run(sh`ls -d ${'/'}`), '/\n');
});

test('resolveBecome: task keywords, then the host variables, then the command line', () => {
  assert.equal(resolveBecome({}), undefined);
  assert.equal(resolveBecome({ ansible_become: 'no' }, {}, { become: true }), undefined, 'a host variable beats --become');
  assert.equal(resolveBecome({ ansible_become: true }, { become: false }), undefined, 'the keyword beats the variable');
  assert.deepEqual(resolveBecome({}, {}, { become: true, user: 'ops', password: 's3' }), { become: true, user: 'ops', method: 'sudo', password: 's3' });
  assert.deepEqual(
    resolveBecome({ ansible_become: 'yes', ansible_become_user: 'app', ansible_become_method: 'su', ansible_become_pass: 1 }, { user: 'web' }, { user: 'ops', password: 'cli' }),
    { become: true, user: 'web', method: 'su', password: '1' },
  );
  assert.equal(resolveBecome({ ansible_become_password: 'a', ansible_become_pass: 'b' }, { become: true })?.password, 'a');
});
