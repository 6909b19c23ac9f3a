import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initProject } from '../../../src/cli/init.js';
import { loadConfig } from '../../../src/config/cfg.js';
import { OptionsError } from '../../../src/errors.js';
import { packagePath } from '../../../src/package.js';

test('init lvs-dr: a project whose config finds the lab inventory, the roles and the playbooks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'harun-init-'));
  try {
    const proj = join(dir, 'p');
    const wrote = initProject('lvs-dr', proj);
    assert.ok(wrote.includes('ansible.cfg') && wrote.includes('.github/workflows/failover.yml'));
    const cfg = loadConfig(proj);
    assert.deepEqual(cfg.inventory, [join(proj, '.harun-lab/inventory.yml')]);
    assert.equal(cfg.playbookDir, join(proj, 'playbooks'));
    assert.ok(cfg.rolesPath.includes(join(proj, 'roles')));
    for (const r of ['keepalived', 'realserver', 'webserver', 'ipvsadm', 'lvs_facts'])
      assert.equal(readFileSync(join(proj, 'roles', r, 'tasks', 'main.yml'), 'utf8'), readFileSync(packagePath('roles', r, 'tasks', 'main.yml'), 'utf8'));
    assert.equal(readFileSync(join(proj, '.github/workflows/failover.yml'), 'utf8'), readFileSync(packagePath('examples', 'ci', 'github-docker.yml'), 'utf8'));
    assert.ok(existsSync(join(proj, 'inventory', 'seed.ini')));
    // the lab's vaulted auth_pass opens: the cfg names the script that prints the lab's password
    assert.equal(cfg.vaultPasswordFile, join(proj, 'scripts', 'lab-vault-pass'));
    mkdirSync(join(proj, '.harun-lab'));
    writeFileSync(join(proj, '.harun-lab', 'vault-pass'), 'pw-of-this-lab\n');
    assert.equal(execFileSync(cfg.vaultPasswordFile!, { encoding: 'utf8', env: { PATH: process.env.PATH } }), 'pw-of-this-lab\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('init refuses an unknown template, and files that exist unless --force; nothing is written on a refusal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'harun-init-'));
  try {
    assert.throws(() => initProject('lvs', join(dir, 'x')), (e: Error) => e instanceof OptionsError && /unknown template "lvs" \(expected lvs-dr\)/.test(e.message));
    assert.ok(!existsSync(join(dir, 'x')));
    const proj = join(dir, 'p');
    mkdirSync(proj);
    writeFileSync(join(proj, 'ansible.cfg'), 'mine');
    assert.throws(() => initProject('lvs-dr', proj), /already has ansible.cfg; pass --force/);
    assert.equal(readFileSync(join(proj, 'ansible.cfg'), 'utf8'), 'mine');
    assert.ok(!existsSync(join(proj, 'roles')), 'nothing written');
    initProject('lvs-dr', proj, true);
    assert.match(readFileSync(join(proj, 'ansible.cfg'), 'utf8'), /inventory = .harun-lab\/inventory.yml/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
