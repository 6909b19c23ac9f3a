/**
 * `harun inventory -i INV (--list | --graph [GROUP] | --host NAME) [--yaml]`: shows an inventory
 * the way `ansible-inventory` does, so the two can be diffed while moving over.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/cfg.js';
import { HarunError, OptionsError } from '../errors.js';
import { mask } from '../report/mask.js';
import type { VaultOptions } from '../vault/sources.js';
import { setupVault, vaultOptions } from './common.js';
import { loadInventory } from '../inventory/index.js';
import { graphInventory, listInventory, publicHostVars, toJson, toPyYaml, yamlInventory } from '../inventory/output.js';

interface Opts extends Partial<VaultOptions> {
  inventory?: string[];
  list?: boolean;
  graph?: string | boolean;
  host?: string;
  yaml?: boolean;
  playbookDir?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerInventory(program: Command): void {
  vaultOptions(program.command('inventory'))
    .description('show an inventory as ansible-inventory does (groups, hosts and merged host variables)')
    .option('-i, --inventory <source>', 'inventory file, directory or comma-separated host list (repeatable)', collect)
    .option('--list', 'all groups and hosts, with host variables under _meta.hostvars')
    .option('--graph [group]', 'the group tree, from GROUP (default all)')
    .option('--host <name>', 'the variables of one host')
    .option('-y, --yaml', 'YAML instead of JSON (--list and --host)')
    .option('--playbook-dir <dir>', 'read group_vars/ and host_vars/ in this directory as the playbook\'s (default: the current directory)')
    .action(async (opts: Opts) => {
      try {
        await setupVault({ vaultId: opts.vaultId ?? [], vaultPasswordFile: opts.vaultPasswordFile ?? [], askVaultPass: opts.askVaultPass }, loadConfig());
        // vaulted values are shown as ******** here too
        process.stdout.write(mask(runInventory(opts)) + '\n');
      } catch (e) {
        if (!(e instanceof HarunError)) throw e;
        process.stderr.write(mask(`${e.describe()}\n`));
        process.exitCode = e.exitCode;
      }
    });
}

/** The text `harun inventory` prints; throws OptionsError/ValidationError on bad input. */
export function runInventory(opts: Opts): string {
  const modes = [opts.list, opts.graph !== undefined, opts.host !== undefined].filter(Boolean).length;
  if (modes !== 1) throw new OptionsError('harun inventory needs exactly one of --list, --graph or --host');
  if (!opts.inventory?.length) throw new OptionsError('harun inventory needs an inventory: -i FILE, -i DIR or -i host1,host2,');
  if (opts.yaml && opts.graph !== undefined) throw new OptionsError('--yaml applies to --list and --host, not to --graph');
  // with no playbook, ansible-inventory reads the current directory's group_vars/host_vars as the play's
  const inv = loadInventory(opts.inventory, { extraVarDirs: [opts.playbookDir ?? '.'] });
  for (const w of inv.warnings) process.stderr.write(`[WARNING]: ${w}\n`);
  const dump = opts.yaml ? (v: unknown) => toPyYaml(v).trimEnd() : toJson;
  if (opts.host !== undefined) {
    const hosts = inv.select(opts.host);
    if (hosts.length !== 1) throw new OptionsError(`--host needs a pattern that matches exactly one host; '${opts.host}' matches ${hosts.length}`);
    return dump(publicHostVars(inv, hosts[0]));
  }
  if (opts.graph !== undefined) {
    const start = typeof opts.graph === 'string' ? opts.graph : 'all';
    if (!inv.group(start)) throw new OptionsError(`--graph needs a group name; there is no group '${start}'`);
    return graphInventory(inv, start);
  }
  return dump(opts.yaml ? yamlInventory(inv) : listInventory(inv));
}

