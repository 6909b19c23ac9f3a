/**
 * include_vars: load variables from a YAML/JSON file or a directory of them, on the controller,
 * at run time (the file name may depend on the host's facts). Searched as Ansible's action
 * plugin searches: a file in the role's vars/, the task file's directory, then the playbook's;
 * a dir under the role's vars/ (or beside the task file outside a role).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { z } from 'zod';
import { loadVarsFile } from '../config/yaml.js';
import { merge } from '../vars/filters.js';
import { bool, int, lazySchema, str, strList } from './lib/args.js';
import type { ModuleDef } from './types.js';

const schema = lazySchema(() => z
  .object({
    file: str().optional(),
    dir: str().optional(),
    name: str().optional(),
    depth: int().default(0),
    files_matching: str().optional(),
    ignore_files: z.union([strList(), str().transform((s) => s.split(/\s+/).filter(Boolean))]).default([]),
    extensions: strList().default(['yaml', 'yml', 'json']),
    ignore_unknown_extensions: bool().default(false),
    hash_behaviour: z.enum(['replace', 'merge']).optional(),
  })
  .strict()
  .superRefine((a, c) => {
    if (a.file !== undefined && a.dir !== undefined) c.addIssue({ code: 'custom', path: ['dir'], message: 'You are mixing file only and dir only arguments, these are incompatible' });
  }));

export type IncludeVarsArgs = z.infer<ReturnType<typeof schema>>;

/** os.walk sorted by directory path, as Ansible's _traverse_dir_depth lists it. */
function walk(dir: string): [string, string[]][] {
  const out: [string, string[]][] = [];
  const visit = (d: string) => {
    const files: string[] = [];
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) visit(full);
      else files.push(name);
    }
    out.push([d, files.sort()]);
  };
  visit(dir);
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function fromDir(dir: string, a: IncludeVarsArgs, files: string[]): Record<string, unknown> {
  const matcher = a.files_matching ? new RegExp(a.files_matching) : undefined;
  const ignored = (f: string) => a.ignore_files.some((p) => new RegExp(`${p}$`).test(f));
  const validExt = (f: string) => a.extensions.includes(extname(f).slice(1));
  const out: Record<string, unknown> = {};
  const dirs = walk(dir);
  for (const [i, [root, names]] of dirs.entries()) {
    if (a.depth !== 0 && i >= a.depth) break;
    for (const f of names) {
      if (matcher && !matcher.test(f)) continue;
      if (ignored(f) || (a.ignore_unknown_extensions && !validExt(f))) continue;
      const full = join(root, f);
      if (!validExt(f)) throw new Error(`${full} does not have a valid extension: ${a.extensions.join(', ')}`);
      Object.assign(out, loadVarsFile(full));
      files.push(full);
    }
  }
  return out;
}

export const includeVars: ModuleDef<IncludeVarsArgs> = {
  name: 'include_vars',
  get schema() {
    return schema();
  },
  freeForm: 'file',
  checkMode: true,
  controller: true,
  async run(ctx, a) {
    const files: string[] = [];
    let vars: Record<string, unknown>;
    const rolePath = ctx.vars.role_path as string | undefined;
    if (a.dir !== undefined) {
      let dir = a.dir;
      if (rolePath) dir = dir.split('/')[0] === 'vars' && existsSync(join(rolePath, dir)) ? join(rolePath, dir) : join(rolePath, 'vars', dir);
      else dir = ctx.findLocal('vars', dir);
      if (!existsSync(dir)) return { changed: false, failed: true, msg: `${dir} directory does not exist` };
      if (!statSync(dir).isDirectory()) return { changed: false, failed: true, msg: `${dir} is not a directory` };
      vars = fromDir(dir, a, files);
    } else {
      if (a.file === undefined) return { changed: false, failed: true, msg: 'include_vars needs a file, a dir or free-form file name' };
      const path = ctx.findLocal('vars', a.file.replace(/\n+$/, ''));
      if (!existsSync(path)) return { changed: false, failed: true, msg: `Could not find or access '${a.file}' (searched the role's vars/, the task's directory and the playbook's directory; last tried ${path})` };
      vars = loadVarsFile(path);
      files.push(path);
    }
    // hash_behaviour=merge: Ansible's combine_vars, mappings merged recursively with what is set
    if (a.hash_behaviour === 'merge') {
      const set = Object.fromEntries(Object.keys(vars).filter((k) => k in ctx.vars).map((k) => [k, ctx.evaluate(k)]));
      vars = merge(set, vars, true, 'replace');
    }
    if (a.name !== undefined) vars = { [a.name]: vars };
    return { changed: false, facts: vars, ansible_facts: vars, ansible_included_var_files: files };
  },
};
