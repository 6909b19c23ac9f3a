/**
 * harun init lvs-dr DIR: a ready project from the content harun ships (in the manner of
 * ansible-galaxy init / molecule init): the roles, the playbooks, an inventory example from the
 * seed, an ansible.cfg that makes `harun lab up && harun play site.yml && harun verify` work in
 * DIR, and a CI workflow. Copied, not linked: the project is the user's to change.
 */
import type { Command } from 'commander';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { OptionsError } from '../errors.js';
import { packagePath } from '../package.js';
import { fail } from './common.js';

const CFG = `# Read by harun and by ansible-playbook alike. -i on the command line overrides the inventory;
# relative paths are relative to this file.
[defaults]
# Written by \`harun lab up\` (a throwaway copy of the cluster on this machine). For real hosts,
# point it at inventory/seed.ini (edit the addresses first) or your own inventory.
inventory = .harun-lab/inventory.yml
roles_path = roles
# The lab keeps keepalived's auth_pass in an Ansible Vault file under a password it generates;
# this script prints that password (a placeholder when no lab is up). Name your own here instead.
vault_password_file = scripts/lab-vault-pass

# harun's own settings (ansible-playbook ignores this section).
[harun]
# \`harun play site.yml\` looks the playbook up here.
playbook_dir = playbooks
`;

const README = (dir: string) => `# ${dir}: a highly available LVS-DR load balancer

Two directors running keepalived (VRRP floats the virtual IP; IPVS forwards in direct-routing
mode) in front of two web servers, as \`harun init lvs-dr\` wrote it.

    harun lab up              # the five hosts on this machine (root; docker or uml)
    harun play site.yml       # converge them (playbooks/site.yml, roles/)
    harun verify --fault kill --junit reports/verify.xml --report reports/failover.html
    harun lab down

For real hosts: edit inventory/seed.ini (the seed's addresses are documentation) and run
\`harun play site.yml -i inventory/seed.ini\`, then \`harun verify -i inventory/seed.ini\`.

CI: .github/workflows/failover.yml runs the same on a hosted runner with Docker and keeps the
JUnit files and the HTML report of the failover as artifacts.
`;

const GITIGNORE = '.harun-lab/\nreports/\n';

/** What a template is made of: package paths copied to project paths, and files written. */
interface Template {
  copies: Array<[from: string[], to: string]>;
  writes: (dir: string) => Array<[to: string, text: string]>;
}

const TEMPLATES: Record<string, Template> = {
  'lvs-dr': {
    copies: [
      [['roles'], 'roles'],
      [['playbooks'], 'playbooks'],
      [['inventory', 'seed.ini'], 'inventory/seed.ini'],
      [['inventory', 'lab.example.yml'], 'inventory/lab.example.yml'],
      [['examples', 'ci', 'github-docker.yml'], '.github/workflows/failover.yml'],
      [['scripts', 'lab-vault-pass'], 'scripts/lab-vault-pass'],
    ],
    writes: (dir) => [
      ['ansible.cfg', CFG],
      ['README.md', README(dir)],
      ['.gitignore', GITIGNORE],
    ],
  },
};

/** Writes the project; returns the paths it wrote (relative to dir). Nothing is written on a refusal. */
export function initProject(template: string, dir: string, force = false): string[] {
  const t = TEMPLATES[template];
  if (!t) throw new OptionsError(`init: unknown template "${template}" (expected ${Object.keys(TEMPLATES).join(', ')})`);
  const target = resolve(dir);
  if (existsSync(target) && !statSync(target).isDirectory()) throw new OptionsError(`init: ${dir} exists and is not a directory`);
  const writes = t.writes(relative(resolve(target, '..'), target) || 'project');
  const outputs = [...t.copies.map(([, to]) => to), ...writes.map(([to]) => to)];
  const clash = outputs.filter((o) => existsSync(join(target, o)));
  if (clash.length && !force) throw new OptionsError(`init: ${dir} already has ${clash.join(', ')}; pass --force to overwrite`);
  for (const [from] of t.copies) {
    if (!existsSync(packagePath(...from))) throw new OptionsError(`init: ${packagePath(...from)} is missing from the harun installation`);
  }
  mkdirSync(target, { recursive: true });
  for (const [from, to] of t.copies) {
    mkdirSync(resolve(target, to, '..'), { recursive: true });
    cpSync(packagePath(...from), join(target, to), { recursive: true, force: true });
  }
  for (const [to, text] of writes) writeFileSync(join(target, to), text);
  return outputs;
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description(`start a project from content harun ships (templates: ${Object.keys(TEMPLATES).join(', ')})`)
    .argument('<template>', 'what to start from: lvs-dr (the seed\'s keepalived + LVS-DR cluster)')
    .argument('[dir]', 'the project directory (default: the template\'s name)')
    .option('--force', 'overwrite files the template writes when they exist')
    .action((template: string, dir: string | undefined, o: { force?: boolean }) => {
      try {
        const where = dir ?? template;
        const wrote = initProject(template, where, Boolean(o.force));
        const listed = wrote.flatMap((w) => (statSync(join(where, w)).isDirectory() ? readdirSync(join(where, w)).map((f) => `${w}/${f}`) : [w]));
        process.stdout.write(`${template} project written to ${where}:\n${listed.map((l) => `  ${l}`).join('\n')}\n`);
        process.stdout.write(`next:\n  cd ${where}\n  harun lab up\n  harun play site.yml\n  harun verify --report reports/failover.html\n  harun lab down\n`);
      } catch (e) {
        process.exitCode = fail(e);
      }
    });
}
