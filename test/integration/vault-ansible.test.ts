/**
 * Files written by `harun vault` are read by Debian's ansible-vault and the other way round:
 * whole files, encrypt_string, vault ids (1.2 envelopes), rekey, an executable password source.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { installed } from '../helpers/tools.js';
import assert from 'node:assert/strict';

const HARUN = join(resolve(import.meta.dirname, '../../..'), 'bin/harun.js');
let dir: string;
const f = (name: string) => join(dir, name);

const skip = !installed('ansible-vault') && 'ansible-vault is not installed (scripts/setup.sh installs ansible-core)';

function run(cmd: string, args: string[], input?: string) {
  const r = spawnSync(cmd, args, { cwd: dir, input, encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const harun = (...args: string[]) => run('node', [HARUN, 'vault', ...args]);
const ansible = (...args: string[]) => run('ansible-vault', args);

function ok(r: { code: number | null; out: string; err: string }, what: string): string {
  assert.equal(r.code, 0, `${what}: ${r.err}${r.out}`);
  return r.out;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'harun-vault-'));
  writeFileSync(f('pw'), 'first-password\n');
  writeFileSync(f('pw2'), 'second-password\n');
  // an executable source prints the password (as ansible's vault password scripts do)
  writeFileSync(f('pw.sh'), '#!/bin/sh\necho first-password\n');
  chmodSync(f('pw.sh'), 0o755);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const PLAIN = 'db_password: "päss wörd \' \\" $x"\nlist: [1, 2]\n';

test('a file harun encrypts, ansible-vault views and decrypts; and the other way round', { skip }, () => {
  writeFileSync(f('a.yml'), PLAIN);
  ok(harun('encrypt', '--vault-password-file', 'pw', 'a.yml'), 'harun encrypt');
  assert.match(readFileSync(f('a.yml'), 'utf8'), /^\$ANSIBLE_VAULT;1\.1;AES256\n/);
  assert.equal(ok(ansible('view', '--vault-password-file', 'pw', 'a.yml'), 'ansible-vault view'), PLAIN);
  writeFileSync(f('b.yml'), PLAIN);
  ok(ansible('encrypt', '--vault-password-file', 'pw', 'b.yml'), 'ansible-vault encrypt');
  assert.equal(ok(harun('view', '--vault-password-file', 'pw.sh', 'b.yml'), 'harun view (password from a script)'), PLAIN);
  ok(harun('decrypt', '--vault-password-file', 'pw', 'b.yml'), 'harun decrypt');
  assert.equal(readFileSync(f('b.yml'), 'utf8'), PLAIN);
  ok(ansible('decrypt', '--vault-password-file', 'pw', 'a.yml'), 'ansible-vault decrypt');
  assert.equal(readFileSync(f('a.yml'), 'utf8'), PLAIN);
});

test('vault ids: 1.2 envelopes carry the label both ways; --encrypt-vault-id chooses among several', { skip }, () => {
  writeFileSync(f('c.yml'), PLAIN);
  ok(harun('encrypt', '--vault-id', 'dev@pw2', '--vault-id', 'prod@pw', '--encrypt-vault-id', 'prod', 'c.yml'), 'harun encrypt --vault-id');
  assert.match(readFileSync(f('c.yml'), 'utf8'), /^\$ANSIBLE_VAULT;1\.2;AES256;prod\n/);
  assert.equal(ok(ansible('view', '--vault-id', 'prod@pw', 'c.yml'), 'ansible-vault view --vault-id'), PLAIN);
  const several = harun('encrypt', '--vault-id', 'dev@pw2', '--vault-id', 'prod@pw', '--output', '-', 'a.yml');
  assert.notEqual(several.code, 0);
  assert.match(several.err, /several vault ids were given \(dev, prod\): choose one with --encrypt-vault-id/);
  writeFileSync(f('d.yml'), PLAIN);
  ok(ansible('encrypt', '--vault-id', 'prod@pw', 'd.yml'), 'ansible-vault encrypt --vault-id');
  assert.equal(ok(harun('view', '--vault-id', 'dev@pw2', '--vault-id', 'prod@pw', 'd.yml'), 'harun view'), PLAIN);
  const missing = harun('view', '--vault-id', 'dev@pw2', 'd.yml');
  assert.equal(missing.code, 4);
  assert.match(missing.err, /d\.yml: it was encrypted with vault id 'prod', which was not given/);
  assert.ok(!missing.err.includes('db_password') && !missing.err.includes('second-password'));
});

test('encrypt_string: each tool reads the other\'s !vault value', { skip }, () => {
  const ours = ok(harun('encrypt_string', '--vault-id', 'lab@pw', '--name', 'token', 'harun-made-value'), 'harun encrypt_string');
  assert.match(ours, /^token: !vault \|\n {10}\$ANSIBLE_VAULT;1\.2;AES256;lab\n( {10}[0-9a-f]{1,80}\n)+$/);
  writeFileSync(f('ours.yml'), ours);
  const shown = run('ansible', ['localhost', '-i', 'localhost,', '-c', 'local', '-m', 'debug', '-a', 'var=token', '-e', '@ours.yml', '--vault-id', 'lab@pw']);
  assert.match(ok(shown, 'ansible reads harun\'s !vault'), /"token": "harun-made-value"/);

  const theirs = ok(ansible('encrypt_string', '--vault-password-file', 'pw', '--name', 'token', 'ansible-made-value'), 'ansible-vault encrypt_string');
  writeFileSync(f('theirs.yml'), theirs + '\n');
  writeFileSync(f('read.yml'), `- hosts: localhost\n  gather_facts: false\n  vars_files: [theirs.yml]\n  tasks:\n    - copy: { content: "{{ token }}", dest: "${f('token.out')}" }\n`);
  const play = run('node', [HARUN, 'play', 'read.yml', '--vault-password-file', 'pw', '--output', 'plain', '-v']);
  assert.equal(play.code, 0, play.err + play.out);
  assert.equal(readFileSync(f('token.out'), 'utf8'), 'ansible-made-value');
  assert.ok(!play.out.includes('ansible-made-value'), 'the value is masked in harun\'s output');

  // from stdin, as ansible-vault encrypt_string reads it without arguments
  const piped = ok(harun('encrypt_string', '--vault-password-file', 'pw', '--stdin-name', 'piped'), 'harun encrypt_string from stdin');
  assert.match(piped, /^piped: !vault \|/);
});

test('rekey: each tool rekeys what the other wrote', { skip }, () => {
  writeFileSync(f('e.yml'), PLAIN);
  ok(ansible('encrypt', '--vault-password-file', 'pw', 'e.yml'), 'ansible-vault encrypt');
  ok(harun('rekey', '--vault-password-file', 'pw', '--new-vault-password-file', 'pw2', 'e.yml'), 'harun rekey');
  assert.equal(ok(ansible('view', '--vault-password-file', 'pw2', 'e.yml'), 'ansible-vault view after harun rekey'), PLAIN);
  assert.notEqual(ansible('view', '--vault-password-file', 'pw', 'e.yml').code, 0, 'the old password no longer opens it');
  ok(ansible('rekey', '--vault-password-file', 'pw2', '--new-vault-password-file', 'pw', 'e.yml'), 'ansible-vault rekey');
  assert.equal(ok(harun('view', '--vault-password-file', 'pw', 'e.yml'), 'harun view after ansible rekey'), PLAIN);
  const wrong = harun('view', '--vault-password-file', 'pw2', 'e.yml');
  assert.equal(wrong.code, 4);
  assert.match(wrong.err, /decryption failed on e\.yml: the vault password is wrong or the file was changed/);
});

test('create and edit go through $EDITOR; ansible-vault reads the result', { skip }, () => {
  writeFileSync(f('ed.sh'), '#!/bin/sh\nprintf "edited: yes\\n" >> "$1"\n');
  chmodSync(f('ed.sh'), 0o755);
  const env = { ...process.env, EDITOR: f('ed.sh') };
  const r1 = spawnSync('node', [HARUN, 'vault', 'create', '--vault-password-file', 'pw', 'new.yml'], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(r1.status, 0, r1.stderr);
  assert.equal(ok(ansible('view', '--vault-password-file', 'pw', 'new.yml'), 'view created'), 'edited: yes\n');
  const r2 = spawnSync('node', [HARUN, 'vault', 'edit', '--vault-password-file', 'pw', 'new.yml'], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(r2.status, 0, r2.stderr);
  assert.equal(ok(ansible('view', '--vault-password-file', 'pw', 'new.yml'), 'view edited'), 'edited: yes\nedited: yes\n');
});

test('an INI inventory ansible-vault encrypted whole, the password piped to --ask-vault-pass: hosts keep their names, values are masked', { skip }, () => {
  writeFileSync(f('inv.ini'), '[g]\nlocalhost ansible_connection=local inv_secret=INI-SECRET-1234\n');
  ok(ansible('encrypt', '--vault-password-file', 'pw', 'inv.ini'), 'ansible-vault encrypt');
  writeFileSync(f('inv.yml'), `- hosts: g\n  gather_facts: false\n  tasks:\n    - debug: { var: inv_secret }\n    - copy: { content: "{{ inv_secret }}", dest: "${f('inv.out')}" }\n`);
  const r = run('node', [HARUN, 'play', 'inv.yml', '-i', 'inv.ini', '--ask-vault-pass', '--output', 'plain', '-v'], 'first-password\n');
  assert.equal(r.code, 0, r.err + r.out);
  assert.equal(readFileSync(f('inv.out'), 'utf8'), 'INI-SECRET-1234');
  assert.match(r.out, /ok: \[localhost\] => \{"changed":false,"inv_secret":"\*{8}"\}/);
  assert.ok(!r.out.includes('INI-SECRET-1234'));
});
