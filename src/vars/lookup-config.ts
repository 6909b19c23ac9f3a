/**
 * The `config` lookup: the values of Ansible settings that harun reads, as Ansible's config
 * manager gives them (the cfg file, then ANSIBLE_* variables, then Ansible's defaults).
 * A setting harun does not read is an error naming it, whatever on_missing says: harun cannot
 * give the value Ansible would.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type ProjectConfig } from '../config/cfg.js';
import { ansibleInstall, collectionsPaths } from '../modules/fallback/paths.js';
import { pyStr, TemplateError } from './py.js';

const home = () => process.env.HOME ?? '/root';

const SETTINGS: Record<string, (c: ProjectConfig) => unknown> = {
  DEFAULT_ROLES_PATH: (c) => (c.rolesPath.length ? c.rolesPath : [join(home(), '.ansible/roles'), '/usr/share/ansible/roles', '/etc/ansible/roles']),
  COLLECTIONS_PATHS: () => collectionsPaths(),
  DEFAULT_HOST_LIST: (c) => (c.inventory.length ? c.inventory : ['/etc/ansible/hosts']),
  DEFAULT_FORKS: (c) => c.forks ?? 5,
  DEFAULT_REMOTE_USER: (c) => c.remoteUser ?? null,
  DEFAULT_PRIVATE_KEY_FILE: (c) => c.privateKeyFile ?? null,
  HOST_KEY_CHECKING: (c) => c.hostKeyChecking ?? true,
  DEFAULT_TIMEOUT: (c) => c.timeout ?? 10,
  DEFAULT_MANAGED_STR: (c) => c.ansibleManaged ?? 'Ansible managed',
  DEFAULT_VAULT_PASSWORD_FILE: (c) => c.vaultPasswordFile ?? null,
  DEFAULT_VAULT_IDENTITY_LIST: (c) => c.vaultIdentityList,
};

let cfg: ProjectConfig | undefined;

/** Setting names of the controller's Ansible (config/base.yml), to tell "unknown" from "not read by harun". */
function ansibleSettings(): Set<string> {
  const core = ansibleInstall().core;
  const file = core && join(core, 'config/base.yml');
  if (!file || !existsSync(file)) return new Set();
  return new Set([...readFileSync(file, 'utf8').matchAll(/^([A-Z][A-Z0-9_]*):\s*$/gm)].map((m) => m[1]));
}

export function configLookup(terms: unknown[], kw: Record<string, unknown>): unknown[] {
  const onMissing = String(kw.on_missing ?? 'error');
  if (!['error', 'warn', 'skip'].includes(onMissing)) throw new TemplateError(`lookup config: on_missing must be error, warn or skip, got '${onMissing}'`);
  if (kw.plugin_type !== undefined || kw.plugin_name !== undefined) throw new TemplateError('lookup config: plugin settings (plugin_type/plugin_name) are not read by harun');
  cfg ??= loadConfig();
  const out: unknown[] = [];
  for (const t of terms) {
    const name = pyStr(t);
    const get = SETTINGS[name];
    if (get) {
      out.push(get(cfg));
      continue;
    }
    if (ansibleSettings().has(name)) throw new TemplateError(`lookup config: harun does not read the Ansible setting ${name}, so it cannot give its value (it reads: ${Object.keys(SETTINGS).join(', ')})`);
    if (onMissing === 'error') throw new TemplateError(`Unable to find setting ${name} (settings harun reads: ${Object.keys(SETTINGS).join(', ')})`);
    if (onMissing === 'warn') process.stderr.write(`[WARNING]: Skipping, did not find setting ${name}\n`);
  }
  return out;
}
