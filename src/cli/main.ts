import { Command, CommanderError } from 'commander';
import { EXIT } from '../errors.js';
import { registerInventory } from './inventory.js';
import { registerLab } from './lab.js';
import { registerPlay } from './play.js';
import { fail } from './common.js';

const program = new Command('harun')
  .description('agentless orchestration runner for Ansible-format playbooks')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

registerPlay(program);
registerInventory(program);
registerLab(program);

for (const c of program.commands) c.exitOverride();

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // help and version are not errors; anything else commander rejects is a bad option
    process.exitCode = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(e.code) ? EXIT.ok : EXIT.options;
  } else {
    process.exitCode = fail(e);
  }
}
