import { Command, CommanderError } from 'commander';
import { EXIT } from '../errors.js';
import { fail } from './common.js';
import { packageVersion } from '../package.js';

/** Each command's module is imported only when used: `harun play` must start fast. */
const COMMANDS: Record<string, () => Promise<(p: Command) => void>> = {
  play: async () => (await import('./play.js')).registerPlay,
  inventory: async () => (await import('./inventory.js')).registerInventory,
  lab: async () => (await import('./lab.js')).registerLab,
  verify: async () => (await import('./verify.js')).registerVerify,
  vault: async () => (await import('./vault.js')).registerVault,
  init: async () => (await import('./init.js')).registerInit,
};

const program = new Command('harun')
  .description('agentless orchestration runner for Ansible-format playbooks, inventories and roles')
  .version(packageVersion())
  .showHelpAfterError()
  .exitOverride();

// No top-level await: the bundle (scripts/bundle.mjs) is CommonJS, for V8's code cache.
async function main(): Promise<void> {
  try {
    const name = process.argv[2];
    const wanted = name && COMMANDS[name] ? [name] : Object.keys(COMMANDS);
    for (const n of wanted) (await COMMANDS[n]())(program);
    for (const c of program.commands) c.exitOverride();
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version are not errors; anything else commander rejects is a bad option
      process.exitCode = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(e.code) ? EXIT.ok : EXIT.options;
    } else {
      process.exitCode = fail(e);
    }
  }
}

void main();
