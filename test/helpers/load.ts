import assert from 'node:assert/strict';
import { loadPlaybook } from '../../src/config/playbook.js';
import { ValidationError } from '../../src/errors.js';

/** The ValidationError that loading the playbook at `path` raises; fails the test if it loads. */
export function playbookError(path: string): ValidationError {
  try {
    loadPlaybook(path);
  } catch (e) {
    assert.ok(e instanceof ValidationError, String(e));
    return e;
  }
  assert.fail('expected a validation error');
}
