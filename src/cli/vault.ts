/**
 * `harun vault`: ansible-vault's commands and arguments, writing files ansible-vault reads and
 * reading the files it writes (src/vault/crypto.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/cfg.js';
import { OptionsError } from '../errors.js';
import { isVaultText, parseEnvelope } from '../vault/crypto.js';
import { encryptingSecret, openVault, openVaultWith, seal, vaultSecrets, VaultError, type VaultSecret } from '../vault/keyring.js';
import { readSecret, splitVaultId, type VaultOptions } from '../vault/sources.js';
import { askSecret, collect, fail, setupVault, vaultOptions } from './common.js';

interface Opts extends VaultOptions {
  output?: string;
  encryptVaultId?: string;
  newVaultId?: string;
  newVaultPasswordFile?: string;
  name: string[];
  stdinName?: string;
  prompt?: boolean;
}

const say = (s: string) => process.stderr.write(s + '\n');

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A new password when none was given, asked twice as ansible-vault does. */
async function newSecret(label = 'default'): Promise<VaultSecret> {
  const a = await askSecret('New Vault password: ');
  const b = process.stdin.isTTY ? await askSecret('Confirm New Vault password: ') : a;
  if (a !== b) throw new OptionsError('passwords do not match');
  if (!a) throw new OptionsError('the new vault password is empty');
  return { label, password: Buffer.from(a) };
}

async function encrypting(o: Opts): Promise<VaultSecret> {
  return vaultSecrets().length ? encryptingSecret(o.encryptVaultId) : newSecret(o.encryptVaultId);
}

function write(out: string | undefined, file: string | undefined, data: Buffer | string): void {
  const target = out ?? file;
  if (!target || target === '-') process.stdout.write(data);
  else writeFileSync(target, data, { mode: 0o600 });
}

function readInput(file: string): Buffer {
  if (file === '-') return readFileSync(0);
  try {
    return readFileSync(file);
  } catch (e) {
    throw new OptionsError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

function decryptText(data: Buffer, file: string): Buffer {
  if (!isVaultText(data)) throw new VaultError(`${file}: input is not vault encrypted data`);
  return openVault(data.toString('latin1'), file);
}

/** Run $EDITOR on a private temporary copy; what it saved comes back. */
function editText(plain: Buffer, name: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'harun-vault-'));
  const tmp = join(dir, basename(name));
  try {
    writeFileSync(tmp, plain, { mode: 0o600 });
    const editor = process.env.EDITOR ?? 'vi';
    const r = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'sh', tmp], { stdio: 'inherit' });
    if (r.status !== 0) throw new OptionsError(`the editor (${editor}) exited ${r.status ?? r.signal}: ${name} left unchanged`);
    return readFileSync(tmp);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The `!vault |` block ansible-vault encrypt_string prints. */
function vaultBlock(plain: string, s: VaultSecret, name?: string): string {
  const body = seal(plain, s).trimEnd().split('\n').map((l) => `          ${l}`).join('\n');
  return `${name !== undefined ? `${name}: ` : ''}!vault |\n${body}\n`;
}

const actions: Record<string, (files: string[], o: Opts) => Promise<void>> = {
  async create(files, o) {
    const [file] = files;
    if (existsSync(file)) throw new OptionsError(`${file} exists, please use 'edit' instead`);
    const s = await encrypting(o);
    const plain = editText(Buffer.alloc(0), file);
    writeFileSync(file, seal(plain, s), { mode: 0o600 });
  },
  async encrypt(files, o) {
    const s = await encrypting(o);
    for (const f of files.length ? files : ['-']) {
      const data = readInput(f);
      if (isVaultText(data)) throw new VaultError(`${f}: input is already encrypted`);
      write(o.output, f === '-' ? '-' : f, seal(data, s));
    }
    say('Encryption successful');
  },
  async decrypt(files, o) {
    for (const f of files.length ? files : ['-']) write(o.output, f === '-' ? '-' : f, decryptText(readInput(f), f));
    say('Decryption successful');
  },
  async view(files) {
    for (const f of files) process.stdout.write(decryptText(readInput(f), f));
  },
  async edit(files) {
    const [file] = files;
    const data = readInput(file);
    if (!isVaultText(data)) throw new VaultError(`${file}: input is not vault encrypted data`);
    // saved again under the vault id it had, with the password that opened it
    const { plain, secret } = openVaultWith(data.toString('latin1'), file);
    const label = parseEnvelope(data.toString('latin1')).label;
    const edited = editText(plain, file);
    if (!edited.equals(plain)) writeFileSync(file, seal(edited, { label, password: secret.password }), { mode: 0o600 });
  },
  async rekey(files, o) {
    let fresh: VaultSecret;
    if (o.newVaultPasswordFile) fresh = await readSecret(o.newVaultId ?? 'default', o.newVaultPasswordFile, '--new-vault-password-file', askSecret);
    else if (o.newVaultId) {
      const { label, source } = splitVaultId(o.newVaultId);
      fresh = await readSecret(label, source, '--new-vault-id', askSecret);
    } else fresh = await newSecret();
    for (const f of files) writeFileSync(f, seal(decryptText(readInput(f), f), fresh), { mode: 0o600 });
    say('Rekey successful');
  },
  async encrypt_string(args, o) {
    const s = await encrypting(o);
    const pairs: [string | undefined, string][] = [];
    const named = args.filter((a) => a !== '-');
    // the string from stdin (or the prompt) takes --stdin-name, else the first --name when alone
    const stdinName = o.stdinName ?? (named.length ? undefined : o.name[0]);
    if (o.prompt) pairs.push([stdinName, await askSecret('String to encrypt: ')]);
    else if (!named.length || args.includes('-')) pairs.push([stdinName, (await readStdin()).toString('utf8')]);
    named.forEach((a, i) => pairs.push([o.name[i], a]));
    const out = pairs.map(([n, v]) => vaultBlock(v, s, n)).join('');
    write(o.output, '-', out);
    say('Encryption successful');
  },
};

const ONE_FILE = new Set(['create', 'edit']);

export function registerVault(program: Command): void {
  const vault = program.command('vault').description('encrypt and decrypt Ansible Vault files and strings (as ansible-vault)');
  for (const name of Object.keys(actions)) {
    const c = vaultOptions(vault.command(name))
      .argument(name === 'encrypt_string' ? '[string...]' : ONE_FILE.has(name) ? '<file>' : name === 'encrypt' || name === 'decrypt' ? '[file...]' : '<file...>')
      .option('--encrypt-vault-id <id>', 'the vault id to encrypt with when several are given')
      .option('--output <file>', 'write here instead (- for stdout)')
      .option('--new-vault-id <[label@]source>', 'rekey: the new vault id and its password source')
      .option('--new-vault-password-file <file>', 'rekey: the new password file')
      .option('-n, --name <name>', 'encrypt_string: the variable name (repeatable)', collect, [])
      .option('--stdin-name <name>', 'encrypt_string: the variable name of the string read from stdin')
      .option('-p, --prompt', 'encrypt_string: ask for the string to encrypt');
    c.action(async (files: string[] | string, o: Opts) => {
      process.exitCode = await (async () => {
        await setupVault(o, loadConfig());
        await actions[name]([files].flat(), o);
        return 0;
      })().catch(fail);
    });
  }
}
