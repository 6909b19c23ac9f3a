/**
 * Turning `-i` arguments into inventory data, as Ansible's InventoryManager does: a file (YAML
 * or INI, told apart by extension and content), a directory (every file in it, recursively, in
 * name order, minus Ansible's ignored names), or a comma-separated host list (`-i 'a,b,'`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { parseYaml } from '../config/yaml.js';
import { NOT_SECRET, registerSecret } from '../report/mask.js';
import { fileText, registerSecretsIn } from '../vault/value.js';
import { HarunError, OptionsError, ValidationError } from '../errors.js';
import type { InventoryData } from './data.js';
import { parseIni } from './ini.js';
import { splitPort } from './range.js';
import { parseYamlInventory } from './yaml.js';

// Ansible's INVENTORY_IGNORE_EXTS (REJECT_EXTS + .orig .ini .cfg .retry) and IGNORED_ALWAYS
const IGNORED_EXTS = ['.pyc', '.pyo', '.swp', '.bak', '~', '.rpm', '.md', '.txt', '.rst', '.orig', '.ini', '.cfg', '.retry'];
const IGNORED_NAMES = /^(\..*|host_vars|group_vars|vars_plugins)$/;
const YAML_EXTS = ['.yml', '.yaml', '.json'];

/**
 * Parse one -i argument into inv. Returns the directories whose group_vars/ and host_vars/
 * apply (Ansible: the source itself when a directory, else the file's directory).
 */
export function loadSource(source: string, inv: InventoryData): string[] {
  const st = statOrUndefined(source);
  if (!st) {
    if (source.includes(',')) {
      hostList(source, inv);
      return [];
    }
    throw new OptionsError(`inventory source '${source}' does not exist (expected a file, a directory or a comma-separated host list such as 'web1,web2,')`);
  }
  if (st.isDirectory()) {
    for (const name of readdirSync(source).sort()) {
      if (IGNORED_NAMES.test(name) || IGNORED_EXTS.some((e) => name.endsWith(e))) continue;
      loadSource(join(source, name), inv);
    }
    return [source];
  }
  loadFile(source, inv);
  return [dirname(source)];
}

function statOrUndefined(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

function hostList(list: string, inv: InventoryData): void {
  for (const raw of list.split(',')) {
    const h = raw.trim();
    if (!h) continue;
    const { name, port } = splitPort(h);
    if (!inv.hosts.has(name)) inv.addHost(name, 'ungrouped', list, port);
  }
}

/** YAML for .yml/.yaml/.json; INI for other extensions; no extension: YAML if it parses as a mapping, else INI. */
function loadFile(file: string, inv: InventoryData): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ValidationError('io', `cannot read inventory ${file}: ${(e as Error).message}`);
  }
  const opened = fileText(text, file);
  if (opened.vaulted) {
    text = opened.text;
    // an inventory encrypted whole: its values are secrets (YAML leaves, INI k=v values), but how
    // hosts are reached (report/mask.ts NOT_SECRET)
    for (const m of text.matchAll(/([\w.-]+)=("[^"]*"|'[^']*'|\S+)/g)) if (!NOT_SECRET.has(m[1])) registerSecret(m[2].replace(/^["']|["']$/g, ''));
  }
  const yaml = (t: string) => {
    const d = parseYaml(t, file);
    if (opened.vaulted) registerSecretsIn(d);
    return d;
  };
  const ext = extname(file);
  if (YAML_EXTS.includes(ext)) return parseYamlInventory(yaml(text), file, inv);
  if (ext) return parseIni(text, file, inv);
  let data: unknown;
  let yamlError: HarunError | undefined;
  try {
    data = yaml(text);
  } catch (e) {
    if (!(e instanceof HarunError)) throw e;
    yamlError = e;
  }
  if (!yamlError && data !== null && typeof data === 'object' && !Array.isArray(data)) return parseYamlInventory(data, file, inv);
  try {
    parseIni(text, file, inv);
  } catch (e) {
    // a file that starts like YAML but is broken deserves the YAML error, not an INI one
    if (yamlError && looksLikeYaml(text)) throw yamlError;
    throw e;
  }
}

function looksLikeYaml(text: string): boolean {
  const first = text.split(/\r?\n/).find((l) => l.trim() && !/^\s*#/.test(l));
  return first !== undefined && (first.startsWith('---') || /^[^\s=[\]]+:\s*(#.*)?$/.test(first));
}
