/**
 * Where the controller's Ansible lives: the python that ansible-playbook's shebang names (Debian's
 * ansible-core imports only under it), ansible-core's package directory, and the collection
 * roots Ansible searches, in its order. Asked once per run, and only when a task names a module
 * harun has no native implementation for (the native path never pays for it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { loadConfig } from '../../config/cfg.js';

export interface AnsibleInstall {
  /** The python that runs ansible-playbook (and so Ansible's payload builder). */
  python: string;
  /** ansible-core's package directory (…/ansible), or undefined when none is installed. */
  core?: string;
  /** Directories that hold an ansible_collections/ tree, in Ansible's search order. */
  roots: string[];
}

let cached: AnsibleInstall | undefined;

function pythonOfAnsible(): string {
  const fromEnv = process.env.HARUN_ANSIBLE_PYTHON;
  if (fromEnv) return fromEnv;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const f = join(dir, 'ansible-playbook');
    if (!dir || !existsSync(f)) continue;
    const first = readFileSync(f, 'utf8').slice(0, 200).split('\n')[0];
    const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
    if (m) return m[1].endsWith('/env') && m[2] ? m[2] : m[1];
  }
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

const home = () => process.env.HOME ?? '/root';
const expand = (p: string) => p.replace(/^~(?=\/|$)/, home());

/** Ansible's COLLECTIONS_PATHS: the environment, else ansible.cfg, else the defaults. */
export function collectionsPaths(): string[] {
  const env = process.env.ANSIBLE_COLLECTIONS_PATH ?? process.env.ANSIBLE_COLLECTIONS_PATHS;
  if (env !== undefined) return env.split(':').filter(Boolean).map(expand);
  const cfg = loadConfig().collectionsPath;
  if (cfg) return cfg;
  return [join(home(), '.ansible/collections'), '/usr/share/ansible/collections'];
}

export function ansibleInstall(): AnsibleInstall {
  if (cached) return cached;
  const python = pythonOfAnsible();
  let sysPath: string[] = [];
  try {
    const out = execFileSync(python, ['-c', 'import sys, json; print(json.dumps(sys.path))'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
    sysPath = (JSON.parse(out) as string[]).filter(Boolean);
  } catch {
    // no python on the controller: nothing but native modules can run
  }
  const core = sysPath.map((d) => join(d, 'ansible')).find((d) => existsSync(join(d, 'modules')) && existsSync(join(d, 'executor/module_common.py')));
  // Ansible looks in each configured path (a path may hold ansible_collections/ or be one),
  // then in every sys.path entry (Debian's `ansible` package installs into dist-packages).
  const roots: string[] = [];
  for (const p of collectionsPaths()) {
    if (p.endsWith('/ansible_collections')) roots.push(p.slice(0, -'/ansible_collections'.length));
    else roots.push(p);
  }
  roots.push(...sysPath);
  cached = { python, core, roots: [...new Set(roots)].filter((r) => existsSync(join(r, 'ansible_collections'))) };
  return cached;
}
/** Where a module name was looked for, for the load-time error of a name nobody knows. */
export function notFound(): string {
  const i = ansibleInstall();
  const core = i.core ? `ansible-core in ${i.core}` : `no ansible-core under ${i.python}`;
  return `not native to harun, and not found by Ansible's rules (${core}; collections in ${i.roots.join(', ') || 'none'})`;
}
