/**
 * Resolve a module name as Ansible does: ansible.builtin (and ansible.legacy) from the installed
 * ansible-core, whose config/ansible_builtin_runtime.yml routes short names that moved to
 * collections (mount -> ansible.posix.mount); `ns.coll.name` from the first collection root that
 * holds ns/coll, following its meta/runtime.yml plugin_routing (redirect, tombstone).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseYaml } from '../../config/yaml.js';
import { ansibleInstall } from './paths.js';

export interface Resolved {
  /** The module's fully qualified name after redirects (community.general.ini_file). */
  fqcn: string;
  /** The module's Python source on the controller. */
  path: string;
  /** Ansible has an action plugin for it (runs on the controller first); harun runs the module only. */
  actionPlugin: boolean;
}

export type Resolution = Resolved | { error: string } | undefined;

const routingCache = new Map<string, Map<string, string>>();

/**
 * meta/runtime.yml's plugin_routing.modules entries of a collection (or of ansible-core), each
 * kept as its YAML text: ansible-core's file has 9000 lines, and parsing all of it would cost
 * seconds on a loaded machine, so only the entry a task names is parsed.
 */
function routingEntries(file: string): Map<string, string> {
  let r = routingCache.get(file);
  if (r) return r;
  r = new Map();
  routingCache.set(file, r);
  if (!existsSync(file)) return r;
  const lines = readFileSync(file, 'utf8').split('\n');
  const indent = (l: string) => l.length - l.trimStart().length;
  const top = lines.findIndex((l) => /^plugin_routing:\s*$/.test(l));
  if (top < 0) return r;
  let i = top + 1;
  while (i < lines.length && !(indent(lines[i]) > 0 && /^\s+modules:\s*$/.test(lines[i]))) {
    if (lines[i].trim() && indent(lines[i]) === 0 && !lines[i].startsWith('#')) return r;
    i++;
  }
  const base = indent(lines[i] ?? '');
  let cur: string | undefined;
  let body: string[] = [];
  for (i++; i < lines.length; i++) {
    const l = lines[i];
    if (!l.trim() || l.trimStart().startsWith('#')) continue;
    if (indent(l) <= base) break;
    const key = /^\s*['"]?([^'":]+)['"]?:\s*$/.exec(l);
    if (key && (cur === undefined || indent(l) <= indent(body[0]))) {
      if (cur !== undefined) r.set(cur, body.join('\n'));
      cur = key[1];
      body = [l];
    } else body.push(l);
  }
  if (cur !== undefined) r.set(cur, body.join('\n'));
  return r;
}

function routing(file: string, name: string): any {
  const text = routingEntries(file).get(name);
  if (text === undefined) return undefined;
  const doc = parseYaml(text.replace(new RegExp(`^ {${text.length - text.trimStart().length}}`, 'gm'), ''), file) as Record<string, any>;
  return Object.values(doc ?? {})[0];
}

/** The directory of collection ns.coll: the first root that has it, as Ansible's loader picks. */
export function collectionDir(ns: string, coll: string): string | undefined {
  return ansibleInstall().roots.map((r) => join(r, 'ansible_collections', ns, coll)).find((d) => existsSync(d));
}

/** Python source that is only documentation (the module is an action plugin, nothing to run). */
const docOnly = (path: string) => !/AnsibleModule|def main\(/.test(readFileSync(path, 'utf8'));

function resolveIn(name: string, depth: number): Resolution {
  if (depth > 10) return { error: `redirect loop while resolving module '${name}'` };
  const parts = name.split('.');
  const install = ansibleInstall();
  let base: string;
  let short: string;
  let fqcnPrefix: string;
  if (parts.length === 1 || (parts[0] === 'ansible' && (parts[1] === 'builtin' || parts[1] === 'legacy'))) {
    if (!install.core) return undefined;
    base = install.core;
    short = parts[parts.length - 1];
    fqcnPrefix = 'ansible.builtin';
    const route = routing(join(base, 'config/ansible_builtin_runtime.yml'), short);
    const found = join(base, 'modules', `${short}.py`);
    if (!existsSync(found) && route) return follow(route, name, depth);
    if (!existsSync(found)) return undefined;
    return finish(`${fqcnPrefix}.${short}`, found, join(base, 'plugins/action', `${short}.py`));
  }
  if (parts.length < 3) return undefined;
  const dir = collectionDir(parts[0], parts[1]);
  if (!dir) return undefined;
  short = parts.slice(2).join('.');
  const route = routing(join(dir, 'meta/runtime.yml'), short);
  if (route && (route.redirect || route.tombstone)) return follow(route, name, depth);
  const found = join(dir, 'plugins/modules', ...parts.slice(2)) + '.py';
  if (!existsSync(found)) return undefined;
  return finish(name, found, join(dir, 'plugins/action', `${parts[parts.length - 1]}.py`));
}

function follow(route: any, name: string, depth: number): Resolution {
  if (route.tombstone) {
    const t = route.tombstone;
    return { error: `module '${name}' was removed${t.removal_version ? ` in ${t.removal_version}` : t.removal_date ? ` on ${t.removal_date}` : ''}${t.warning_text ? `: ${t.warning_text}` : ''}` };
  }
  const target = resolveIn(String(route.redirect), depth + 1);
  if (target === undefined) return { error: `module '${name}' is redirected to '${route.redirect}', which is not installed on the controller (install the collection, or set collections_path)` };
  return target;
}

function finish(fqcn: string, path: string, action: string): Resolution {
  const actionPlugin = existsSync(action);
  if (actionPlugin && docOnly(path)) {
    return { error: `module '${fqcn}' is an action plugin in Ansible (it runs on the controller), which harun does not run; harun has no native implementation of it yet` };
  }
  return { fqcn, path, actionPlugin };
}

const cache = new Map<string, Resolution>();

/** Resolve a module name; undefined when Ansible would not find it either. */
export function resolveAnsibleModule(name: string): Resolution {
  if (!/^[A-Za-z_][\w.]*$/.test(name)) return undefined;
  if (!cache.has(name)) cache.set(name, resolveIn(name, 0));
  return cache.get(name);
}

/** Module names near `name` for a "did you mean": the builtins, or the named collection's. */
export function candidateNames(name: string): string[] {
  const parts = name.split('.');
  const install = ansibleInstall();
  const list = (dir: string | undefined, prefix: string) =>
    dir && existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.py') && f !== '__init__.py').map((f) => prefix + f.slice(0, -3)) : [];
  if (parts.length >= 3 && !(parts[0] === 'ansible' && parts[1] === 'builtin')) {
    const dir = collectionDir(parts[0], parts[1]);
    return list(dir && join(dir, 'plugins/modules'), `${parts[0]}.${parts[1]}.`);
  }
  const prefix = parts.length >= 3 ? 'ansible.builtin.' : '';
  return list(install.core && join(install.core, 'modules'), prefix);
}
