/**
 * Where vault passwords come from, as ansible-playbook takes them: `[label@]source` where the
 * source is `prompt` (asked on the terminal), an executable (its stdout; a `*-client` script
 * gets `--vault-id LABEL`), or a file (its text without surrounding whitespace).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { OptionsError } from '../errors.js';
import type { VaultSecret } from './keyring.js';

export type Ask = (prompt: string) => Promise<string>;

export interface VaultOptions {
  vaultId: string[];
  vaultPasswordFile: string[];
  askVaultPass?: boolean;
}

export interface VaultConfig {
  vaultPasswordFile?: string;
  vaultIdentityList: string[];
}

/** `label@source` or `source` (label 'default'). */
export function splitVaultId(id: string): { label: string; source: string } {
  const at = id.indexOf('@');
  return at < 0 ? { label: 'default', source: id } : { label: id.slice(0, at) || 'default', source: id.slice(at + 1) };
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export async function readSecret(label: string, source: string, flag: string, ask: Ask): Promise<VaultSecret> {
  if (source === 'prompt') return { label, password: Buffer.from(await ask(label === 'default' ? 'Vault password: ' : `Vault password (${label}): `)) };
  const path = resolve(source);
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new OptionsError(`${flag}: the vault password file ${path} was not found`);
  }
  if (!st.isFile()) throw new OptionsError(`${flag}: ${path} is not a file`);
  let pw: Buffer;
  if (executable(path)) {
    const client = /-client(\.\w+)?$/.test(basename(path));
    try {
      pw = execFileSync(path, client ? ['--vault-id', label] : [], { stdio: ['inherit', 'pipe', 'pipe'] });
    } catch (e) {
      // the script's output could be the password: only its exit status is reported
      throw new OptionsError(`${flag}: the vault password script ${path} failed (exit ${(e as { status?: number }).status ?? '?'})`);
    }
    pw = Buffer.from(pw.toString('utf8').replace(/[\r\n]+$/, ''));
  } else {
    pw = Buffer.from(readFileSync(path, 'utf8').trim());
  }
  if (!pw.length) throw new OptionsError(`${flag}: the vault password from ${path} is empty`);
  return { label, password: pw };
}

/**
 * Every vault secret of the run, in the order Ansible builds them: the identity list (the
 * environment overriding the config), --vault-id, --vault-password-file (else the environment's
 * or the config's file), --ask-vault-pass.
 */
export async function collectSecrets(o: VaultOptions, cfg: VaultConfig, ask: Ask): Promise<VaultSecret[]> {
  const env = process.env;
  const idList = env.ANSIBLE_VAULT_IDENTITY_LIST !== undefined ? env.ANSIBLE_VAULT_IDENTITY_LIST.split(',').map((s) => s.trim()).filter(Boolean) : cfg.vaultIdentityList;
  const specs: { id: string; flag: string }[] = [
    ...idList.map((id) => ({ id, flag: env.ANSIBLE_VAULT_IDENTITY_LIST !== undefined ? 'ANSIBLE_VAULT_IDENTITY_LIST' : 'vault_identity_list' })),
    ...o.vaultId.map((id) => ({ id, flag: '--vault-id' })),
  ];
  const files = o.vaultPasswordFile.map((f) => ({ id: `default@${f}`, flag: '--vault-password-file' }));
  const fallback = env.ANSIBLE_VAULT_PASSWORD_FILE ?? cfg.vaultPasswordFile;
  if (!files.length && fallback) files.push({ id: `default@${fallback}`, flag: env.ANSIBLE_VAULT_PASSWORD_FILE ? 'ANSIBLE_VAULT_PASSWORD_FILE' : 'vault_password_file' });
  specs.push(...files);
  if (o.askVaultPass) specs.push({ id: 'default@prompt', flag: '--ask-vault-pass' });
  const out: VaultSecret[] = [];
  for (const s of specs) {
    const { label, source } = splitVaultId(s.id);
    out.push(await readSecret(label, source, s.flag, ask));
  }
  return out;
}
