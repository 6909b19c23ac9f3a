import type { Command } from 'commander';
import type { ProjectConfig } from '../config/cfg.js';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EXIT, HarunError, OptionsError } from '../errors.js';
import { mask } from '../report/mask.js';
import { setVaultSecrets } from '../vault/keyring.js';
import { collectSecrets, type VaultOptions } from '../vault/sources.js';

export const collect = (v: string, prev: string[]) => [...prev, v];

export function positiveInt(flag: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new OptionsError(`${flag}: expected a positive integer, got "${v}"`);
    return n;
  };
}

/** A report file a run will write (--junit, --report): its directory must exist before anything runs. */
export function outputFile(flag: string) {
  return (v: string) => {
    const dir = dirname(resolve(v));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new OptionsError(`${flag}: directory ${dirname(v)} does not exist (for ${v})`);
    if (existsSync(v) && statSync(v).isDirectory()) throw new OptionsError(`${flag}: ${v} is a directory, expected a file name`);
    return v;
  };
}

/** Print an error the way users read it and return its exit code. */
export function fail(e: unknown): number {
  // an error can quote a line of a vaulted file or a rendered value: masked like every output
  if (e instanceof HarunError) {
    process.stderr.write(mask(`ERROR: ${e.describe()}\n`));
    return e.exitCode;
  }
  process.stderr.write(mask(`ERROR: unexpected: ${(e as Error)?.stack ?? e}\n`));
  return EXIT.error;
}

/** Read a secret from the terminal without echo (or a line from stdin when piped). */
export async function askSecret(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8').split('\n')[0];
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve) => {
    let s = '';
    const on = (b: Buffer) => {
      for (const ch of b.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', on);
          process.stderr.write('\n');
          return resolve(s);
        }
        if (ch === '\u0003') process.exit(EXIT.interrupted);
        s = ch === '\u007f' ? s.slice(0, -1) : s + ch;
      }
    };
    stdin.on('data', on);
  });
}

/** ansible-playbook's vault options, for every command that reads inventories or playbooks. */
export function vaultOptions(c: Command): Command {
  return c
    .option('--vault-id <[label@]source>', 'vault password: a file, an executable that prints it, or prompt (repeatable)', collect, [])
    .option('--vault-password-file <file>', 'vault password file, or an executable that prints it (repeatable)', collect, [])
    .option('-J, --ask-vault-pass', 'ask for the vault password');
}

/** Gather the vault passwords (options, environment, config) before anything is loaded. */
export async function setupVault(o: VaultOptions, cfg: ProjectConfig): Promise<void> {
  setVaultSecrets(await collectSecrets(o, cfg, askSecret));
}
