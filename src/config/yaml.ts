/**
 * The one place that talks to the `yaml` package. Reads YAML 1.1 as Ansible does (yes/no are
 * booleans, 0644 is octal) and remembers where every mapping, sequence and key came from, so
 * that later errors can name file:line:col.
 */
import { readFileSync } from 'node:fs';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { formatPos, ValidationError, type SourcePos } from '../errors.js';
import { indentFlowLines } from './yaml-flow.js';
import { fileText, inlineVault, registerSecretsIn } from '../vault/value.js';

interface Origin {
  pos: SourcePos;
  keys: Map<string, SourcePos>;
  items: SourcePos[];
}

const origins = new WeakMap<object, Origin>();
/** What Ansible reads with a warning (a key given twice): the CLI prints and empties it. */
export const yamlWarnings: string[] = [];
const sources = new Map<string, string[]>();

/** Where a mapping/sequence (or one of its keys, or one of its items) was written. */
export function posOf(obj: unknown, key?: string | number): SourcePos | undefined {
  if (obj === null || typeof obj !== 'object') return undefined;
  const o = origins.get(obj);
  if (!o) return undefined;
  if (typeof key === 'string') return o.keys.get(key) ?? o.pos;
  if (typeof key === 'number') return o.items[key] ?? o.pos;
  return o.pos;
}

/** The text of the source line at pos, for error excerpts. */
export function lineAt(pos?: SourcePos): string | undefined {
  if (!pos) return undefined;
  return sources.get(pos.file)?.[pos.line - 1];
}

/** A ValidationError pointing at obj (or obj[key]) with the source line as excerpt. */
export function errorAt(obj: unknown, key: string | number | undefined, message: string): ValidationError {
  const pos = posOf(obj, key);
  return new ValidationError('validation', message, pos, lineAt(pos));
}

export function loadYamlFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ValidationError('io', `cannot read ${file}: ${(e as Error).message}`);
  }
  return parseYaml(text, file);
}

/** A vars file (vars_files, role vars/defaults, include_vars): a mapping, or empty. */
export function loadVarsFile(file: string): Record<string, unknown> {
  const v = loadYamlFile(file);
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw errorAt(v, undefined, `${file} must be a mapping of variables, got ${Array.isArray(v) ? 'a list' : typeof v}`);
  return v as Record<string, unknown>;
}

/** Parse a YAML document; a file encrypted whole with Ansible Vault is opened first. */
export function parseYaml(text: string, file: string): unknown {
  const opened = fileText(text, file);
  const data = parseText(opened.text, file);
  if (opened.vaulted) registerSecretsIn(data);
  return data;
}

// `!vault |` scalars keep their text here; convert() turns them into vault values
const VAULT_TAG = { tag: '!vault', resolve: (s: string) => s };

function parseText(source: string, file: string): unknown {
  let text = source;
  let lc = new LineCounter();
  const parse = () => parseDocument(text, { version: '1.1', lineCounter: lc, uniqueKeys: false, prettyErrors: false, strict: true, merge: true, customTags: [VAULT_TAG] });
  let doc = parse();
  if (doc.errors[0]?.code === 'BAD_INDENT' && /^Flow /.test(doc.errors[0].message)) {
    // what PyYAML reads and the spec does not: flow lines left of their parent (yaml-flow.ts)
    const refused = { doc, lc };
    [text, lc] = [indentFlowLines(source), new LineCounter()];
    doc = parse();
    // still wrong: report the first reading's error, at its place
    if (doc.errors.length) [text, lc, doc] = [source, refused.lc, refused.doc];
  }
  sources.set(file, source.split('\n'));
  const at = (offset: number): SourcePos => {
    const { line, col } = lc.linePos(offset);
    return { file, line, col };
  };
  const first = doc.errors[0];
  if (first) {
    const pos = at(first.pos[0]);
    const msg = first.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    const hint = /tab/i.test(text.split('\n')[pos.line - 1] ?? '') ? ' (tabs are not allowed for indentation in YAML)' : '';
    throw new ValidationError('yaml', `YAML error: ${msg}${hint}`, pos, lineAt(pos));
  }
  const ctx: Ctx = { at, doc, text };
  return convert(doc.contents as Node | null, ctx);
}

interface Ctx {
  at: (offset: number) => SourcePos;
  doc: Document;
  text: string;
}

function convert(node: Node | null, ctx: Ctx): unknown {
  const at = ctx.at;
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return convert(node.resolve(ctx.doc) as Node | null, ctx);
  if (isScalar(node)) {
    const v = node.value;
    if (node.tag === '!vault') return inlineVault(String(v), at(node.range?.[0] ?? 0));
    // PyYAML (and so Ansible) reads y/n as strings, unlike the YAML 1.1 spec
    if (typeof v === 'boolean' && node.type === 'PLAIN' && node.range) {
      const src = ctx.text.slice(node.range[0], node.range[1]);
      if (/^[yYnN]$/.test(src)) return src;
    }
    return typeof v === 'bigint' ? Number(v) : v;
  }
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    const origin: Origin = { pos: at(node.range?.[0] ?? 0), keys: new Map(), items: [] };
    for (const pair of node.items) {
      const k = pair.key as Node | null;
      const kv = convert(k, ctx);
      const key = typeof kv === 'symbol' ? kv.description ?? '' : String(kv);
      if (key === '<<' && pair.value) {
        // merge keys are resolved by the yaml package only when asked; fold them here
        const merged = convert(pair.value as Node, ctx);
        for (const m of Array.isArray(merged) ? merged : [merged]) {
          if (m && typeof m === 'object') for (const [mk, mv] of Object.entries(m)) if (!(mk in out)) out[mk] = mv;
        }
        continue;
      }
      const kpos = at(k?.range?.[0] ?? node.range?.[0] ?? 0);
      // as Ansible (duplicate_dict_key=warn): the last value wins
      if (origin.keys.has(key)) yamlWarnings.push(`${formatPos(kpos)}: found a duplicate key (${key}); using the last value only, as Ansible does`);
      out[key] = convert(pair.value as Node | null, ctx);
      origin.keys.set(key, kpos);
    }
    origins.set(out, origin);
    return out;
  }
  if (isSeq(node)) {
    const out: unknown[] = [];
    const origin: Origin = { pos: at(node.range?.[0] ?? 0), keys: new Map(), items: [] };
    for (const item of node.items) {
      out.push(convert(item as Node | null, ctx));
      origin.items.push(at((item as Node | null)?.range?.[0] ?? node.range?.[0] ?? 0));
    }
    origins.set(out, origin);
    return out;
  }
  return null;
}

/** Serialize to YAML (to_yaml filter, inventory output). */
export { stringify as toYaml } from 'yaml';
