import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ValidationError } from '../errors.js';

/**
 * The project config: harun.cfg, else ansible.cfg, in the current directory (or the file named
 * by HARUN_CONFIG / ANSIBLE_CONFIG). Ansible's `[defaults]` keys harun honours: inventory,
 * roles_path, forks, remote_user, private_key_file, host_key_checking, timeout,
 * vault_password_file, vault_identity_list; and harun's
 * own `playbook_dir` in `[harun]` (where `harun play site.yml` looks for site.yml); ansible-playbook
 * ignores that section.
 */
export interface ProjectConfig {
  file?: string;
  inventory: string[];
  rolesPath: string[];
  /** [defaults] collections_path(s): where collections' modules (the fallback) and roles are found. */
  collectionsPath?: string[];
  playbookDir?: string;
  forks?: number;
  remoteUser?: string;
  privateKeyFile?: string;
  hostKeyChecking?: boolean;
  timeout?: number;
  /** vault_password_file and vault_identity_list ([label@]source each), paths made absolute. */
  vaultPasswordFile?: string;
  vaultIdentityList: string[];
  /** [defaults] ansible_managed: the text templates get as ansible_managed. */
  ansibleManaged?: string;
}

export function loadConfig(cwd = process.cwd()): ProjectConfig {
  const named = process.env.HARUN_CONFIG ?? process.env.ANSIBLE_CONFIG;
  const file = named ? resolve(named) : ['harun.cfg', 'ansible.cfg'].map((f) => resolve(cwd, f)).find((f) => existsSync(f));
  const cfg: ProjectConfig = { inventory: [], rolesPath: [], vaultIdentityList: [] };
  if (!file) return fromEnv(cfg, process.env, cwd);
  if (!existsSync(file)) throw new ValidationError('config', `config file not found: ${file}`);
  cfg.file = file;
  const base = dirname(file);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p.replace(/^~(?=\/)/, process.env.HOME ?? '~')));
  let section = '';
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    const t = line.replace(/^\s*[#;].*$/, '').trim();
    if (!t) return;
    const sec = /^\[([^\]]+)\]$/.exec(t);
    if (sec) {
      section = sec[1].trim();
      return;
    }
    const kv = /^([A-Za-z_][\w.-]*)\s*[=:]\s*(.*)$/.exec(t);
    if (!kv) throw new ValidationError('config', `expected 'key = value'`, { file, line: i + 1, col: 1 }, line);
    if (section !== 'defaults' && section !== 'harun') return;
    const [, key, value] = kv;
    const num = () => {
      const n = Number(value);
      if (!Number.isInteger(n) || n <= 0) throw new ValidationError('config', `${key}: expected a positive integer`, { file, line: i + 1, col: line.indexOf(value) + 1 }, line);
      return n;
    };
    switch (key) {
      case 'inventory':
        cfg.inventory = value.split(',').map((s) => abs(s.trim())).filter(Boolean);
        break;
      case 'roles_path':
        cfg.rolesPath = value.split(':').map((s) => abs(s.trim())).filter(Boolean);
        break;
      case 'collections_path':
      case 'collections_paths':
        cfg.collectionsPath = value.split(':').map((s) => abs(s.trim())).filter(Boolean);
        break;
      case 'playbook_dir':
        cfg.playbookDir = abs(value);
        break;
      case 'forks':
        cfg.forks = num();
        break;
      case 'timeout':
        cfg.timeout = num();
        break;
      case 'remote_user':
        cfg.remoteUser = value;
        break;
      case 'private_key_file':
        cfg.privateKeyFile = abs(value);
        break;
      case 'vault_password_file':
        cfg.vaultPasswordFile = abs(value);
        break;
      case 'vault_identity_list':
        cfg.vaultIdentityList = value.split(',').map((s) => s.trim()).filter(Boolean).map((id) => {
          const at = id.indexOf('@');
          const [label, src] = at < 0 ? ['', id] : [id.slice(0, at + 1), id.slice(at + 1)];
          return label + (src === 'prompt' ? src : abs(src));
        });
        break;
      case 'ansible_managed':
        cfg.ansibleManaged = value;
        break;
      case 'host_key_checking':
        cfg.hostKeyChecking = !['false', 'no', 'off', '0'].includes(value.toLowerCase());
        break;
    }
  });
  return fromEnv(cfg, process.env, cwd);
}

const bool = (v: string) => !['false', 'no', 'off', '0', 'n', 'f'].includes(v.trim().toLowerCase());

/**
 * Ansible's environment variables for the same settings: they win over the config file (and
 * the command line over both). Relative paths are taken from the current directory.
 */
export function fromEnv(cfg: ProjectConfig, env: NodeJS.ProcessEnv, cwd: string): ProjectConfig {
  const abs = (p: string) => resolve(cwd, p.trim().replace(/^~(?=\/)/, env.HOME ?? '~'));
  const paths = (v: string, sep: string) => v.split(sep).map((s) => s.trim()).filter(Boolean).map(abs);
  const int = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new ValidationError('config', `${name}: expected a positive integer, got "${v}"`);
    return n;
  };
  const out = { ...cfg };
  if (env.ANSIBLE_INVENTORY) out.inventory = env.ANSIBLE_INVENTORY.split(',').map((s) => s.trim()).filter(Boolean).map((s) => (existsSync(abs(s)) ? abs(s) : s));
  if (env.ANSIBLE_ROLES_PATH) out.rolesPath = paths(env.ANSIBLE_ROLES_PATH, ':');
  const coll = env.ANSIBLE_COLLECTIONS_PATH ?? env.ANSIBLE_COLLECTIONS_PATHS;
  if (coll) out.collectionsPath = paths(coll, ':');
  if (env.ANSIBLE_FORKS) out.forks = int('ANSIBLE_FORKS', env.ANSIBLE_FORKS);
  if (env.ANSIBLE_TIMEOUT) out.timeout = int('ANSIBLE_TIMEOUT', env.ANSIBLE_TIMEOUT);
  if (env.ANSIBLE_REMOTE_USER) out.remoteUser = env.ANSIBLE_REMOTE_USER;
  if (env.ANSIBLE_PRIVATE_KEY_FILE) out.privateKeyFile = abs(env.ANSIBLE_PRIVATE_KEY_FILE);
  if (env.ANSIBLE_HOST_KEY_CHECKING) out.hostKeyChecking = bool(env.ANSIBLE_HOST_KEY_CHECKING);
  return out;
}
