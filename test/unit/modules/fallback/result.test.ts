import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapResult, jsonOf } from '../../../../src/modules/fallback/result.js';
import { pyLiteral } from '../../../../src/modules/fallback/module.js';

const exec = (stdout: string, code = 0, stderr = '') => ({ code, stdout, stderr });

test('a module result maps into harun\'s: changed, facts, diff, no_log, internal keys dropped', () => {
  const r = mapResult('m', exec(JSON.stringify({
    changed: true, msg: 'done', ansible_facts: { x: 1 }, _ansible_no_log: true, _ansible_parsed: true,
    diff: [{ before: 'a\n', after: 'b\n', before_header: '/f (content)', after_header: '/f (content)' }, { prepared: '--- x\n+++ y\n' }],
    warnings: ['careful'], invocation: { module_args: { password: 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' } },
  })));
  assert.equal(r.changed, true);
  assert.equal(r.failed, undefined);
  assert.deepEqual(r.facts, { x: 1 });
  assert.equal(r._no_log, true);
  assert.equal(r._ansible_parsed, undefined);
  assert.deepEqual(r.diff, [
    { path: '/f (content)', before: 'a\n', after: 'b\n', beforeHeader: '/f (content)', afterHeader: '/f (content)' },
    { path: '', before: '', after: '', prepared: '--- x\n+++ y\n' },
  ]);
  assert.deepEqual(r.warnings, ['careful']);
});

test("as Ansible's task executor: no `failed` with rc != 0 is a failure; structured diffs become JSON", () => {
  assert.equal(mapResult('m', exec('{"rc": 2, "stdout": ""}', 0)).failed, true);
  assert.equal(mapResult('m', exec('{"rc": 0}', 0)).failed, undefined);
  assert.equal(mapResult('m', exec('{"rc": 2, "failed": false}', 0)).failed, undefined);
  assert.equal(mapResult('m', exec('{"skipped": true, "msg": "remote module (m) does not support check mode"}')).skipped, true);
  const d = mapResult('m', exec('{"changed": true, "diff": {"before": {"a": 1}, "after": {"a": 2}}}')).diff as any[];
  assert.equal(d[0].before, '{\n    "a": 1\n}\n');
});

test('noise around the JSON is dropped; no JSON at all is a MODULE FAILURE with the output kept', () => {
  assert.deepEqual(jsonOf('motd line\n{"changed": false}\ntrailing\n'), { changed: false });
  const r = mapResult('ns.c.m', exec('Traceback (most recent call last):\nImportError: x\n', 1, 'boom'));
  assert.equal(r.failed, true);
  assert.match(String(r.msg), /^MODULE FAILURE \(ns\.c\.m\)/);
  assert.equal(r.module_stderr, 'boom');
  assert.equal(r.rc, 1);
});

test('the arguments literal reads back in python as the same JSON, whatever the text holds', { skip: !existsSync('/usr/bin/python3') && 'no python3' }, () => {
  const params = { ANSIBLE_MODULE_ARGS: { s: "it's a \"quote\" \\ back\nslash", u: 'é ☃ 😀', n: 1, l: [true, null] } };
  const src = `import json,sys\nv = ${pyLiteral(params)}\nsys.stdout.write(json.dumps(json.loads(v.encode('utf-8'))))`;
  const out = execFileSync('/usr/bin/python3', ['-c', src], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), params);
  assert.match(pyLiteral(params), /^'[\x20-\x7e]*'$/, 'ASCII only');
});
