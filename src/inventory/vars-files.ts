/**
 * group_vars/ and host_vars/ beside an inventory source or a playbook (Ansible's
 * host_group_vars plugin): for an entity NAME the first of `NAME`, `NAME.yml`, `NAME.yaml`,
 * `NAME.json` that exists; when that is a directory, every file in it (recursively, in name
 * order) that has no extension or one of those, skipping hidden files and backups~.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { loadYamlFile, posOf } from '../config/yaml.js';
import { ValidationError, type SourcePos } from '../errors.js';
import type { Located } from './data.js';

const EXTS = ['.yml', '.yaml', '.json'];

function stat(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

function dirFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || name.endsWith('~')) continue;
    const full = join(dir, name);
    const ext = extname(name);
    const st = stat(full);
    if (st?.isDirectory() && !ext) out.push(...dirFiles(full));
    else if (st?.isFile() && (!ext || EXTS.includes(ext))) out.push(full);
  }
  return out;
}

/** The files that hold vars for `name` in `dir` (a group_vars or host_vars directory). */
export function findVarsFiles(dir: string, name: string): string[] {
  for (const ext of ['', ...EXTS]) {
    const full = join(dir, name + ext);
    const st = stat(full);
    if (!st) continue;
    return st.isDirectory() ? dirFiles(full) : [full];
  }
  return [];
}

/** Reads vars files lazily and once; each must hold a mapping (or be empty). */
export class VarsFiles {
  private cache = new Map<string, Map<string, Located>>();

  /** Vars for an entity from `<basedir>/<kind>/`, later files overriding earlier ones. */
  load(basedir: string, kind: 'group_vars' | 'host_vars', name: string): Map<string, Located> {
    const dir = join(basedir, kind);
    const out = new Map<string, Located>();
    if (!stat(dir)?.isDirectory()) return out;
    for (const file of findVarsFiles(dir, name)) for (const [k, v] of this.file(file)) out.set(k, v);
    return out;
  }

  private file(file: string): Map<string, Located> {
    let vars = this.cache.get(file);
    if (vars) return vars;
    const data = loadYamlFile(file);
    vars = new Map();
    if (data !== null && data !== undefined) {
      if (typeof data !== 'object' || Array.isArray(data)) {
        const pos: SourcePos = posOf(data) ?? { file, line: 1, col: 1 };
        throw new ValidationError('inventory', `vars file must hold a mapping of variables, got ${Array.isArray(data) ? 'a list' : typeof data}`, pos);
      }
      for (const [k, v] of Object.entries(data as Record<string, unknown>)) vars.set(k, { value: v, pos: posOf(data, k) });
    }
    this.cache.set(file, vars);
    return vars;
  }
}
