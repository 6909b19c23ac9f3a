import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import YAML from 'yaml';
import { quote } from '../shell/sh.js';
import { isMapping, pyStr, TemplateError, truthy } from './py.js';
import { pyRegex, pyReplacement } from './regex.js';

/** Filters on text: serialisation (JSON, YAML), regular expressions, paths, encodings, hashes. */

type FilterFn = (value: any, args: any[], kw: Record<string, any>) => unknown;

/**
 * PyYAML's dump as Ansible calls it: sorted keys, sequences not indented under their key;
 * to_yaml puts collections that hold only scalars in flow style (default_flow_style=None).
 */
function yamlDump(v: unknown, indent: number, flowLeaves: boolean): string {
  const doc = new YAML.Document(v, { sortMapEntries: true });
  if (flowLeaves) {
    const leaf = (n: any) => !n.items.some((i: any) => YAML.isCollection(YAML.isPair(i) ? i.value : i));
    YAML.visit(doc, { Map: (_k, n) => { n.flow = leaf(n); }, Seq: (_k, n) => { n.flow = leaf(n); } });
  }
  return doc.toString({ indent, lineWidth: 0, indentSeq: false, flowCollectionPadding: false } as any);
}

function hashOf(data: unknown, algo: string): string {
  const a = algo === 'sha' ? 'sha1' : algo;
  try {
    return createHash(a).update(pyStr(data)).digest('hex');
  } catch {
    throw new TemplateError(`hash: unsupported algorithm '${algo}'`);
  }
}

const regexFlags = (kw: Record<string, unknown>) => ({ ignorecase: truthy(kw.ignorecase ?? false), multiline: truthy(kw.multiline ?? false) });

export const TEXT_FILTERS: Record<string, FilterFn> = {
  to_json: (v, _a, kw) => (kw.indent !== undefined ? JSON.stringify(v, null, Number(kw.indent)) : pyJson(truthy(kw.sort_keys ?? false) ? sortKeys(v) : v)),
  to_nice_json: (v, [indent = 4], kw) => JSON.stringify(sortKeys(v), null, Number(kw.indent ?? indent)),
  from_json: (v) => {
    try { return JSON.parse(pyStr(v)); } catch (e) { throw new TemplateError(`from_json: ${(e as Error).message}`); }
  },
  to_yaml: (v, _a, kw) => yamlDump(v, Number(kw.indent ?? 2), true),
  to_nice_yaml: (v, [indent = 4], kw) => yamlDump(v, Number(kw.indent ?? indent), false),
  from_yaml: (v) => YAML.parse(pyStr(v), { version: '1.1' }),
  from_yaml_all: (v) => YAML.parseAllDocuments(pyStr(v), { version: '1.1' }).map((d: any) => d.toJS()),
  regex_replace: (v, [pattern, repl = '', ignorecase = false, multiline = false], kw) => {
    const re = pyRegex(String(pattern), { ignorecase: truthy(kw.ignorecase ?? ignorecase), multiline: truthy(kw.multiline ?? multiline), global: true });
    const count = Number(kw.count ?? 0);
    const r = pyReplacement(String(repl));
    if (!count) return pyStr(v).replace(re, r);
    let n = 0;
    return pyStr(v).replace(re, (...m) => (n++ < count ? m[0].replace(pyRegex(String(pattern), regexFlags(kw)), r) : m[0]));
  },
  regex_search: (v, [pattern, ...groups], kw) => {
    const m = pyRegex(String(pattern), regexFlags(kw)).exec(pyStr(v));
    if (!m) return groups.length ? [] : null;
    if (!groups.length) return m[0];
    return groups.map((g) => {
      const s = String(g);
      const num = /^\\(\d+)$/.exec(s);
      const named = /^\\g<(\w+)>$/.exec(s);
      return num ? m[Number(num[1])] ?? null : named ? (/^\d+$/.test(named[1]) ? m[Number(named[1])] : m.groups?.[named[1]]) ?? null : null;
    });
  },
  regex_findall: (v, [pattern], kw) => {
    const re = pyRegex(String(pattern), { ...regexFlags(kw), global: true });
    return [...pyStr(v).matchAll(re)].map((m) => (m.length === 1 ? m[0] : m.length === 2 ? m[1] : m.slice(1)));
  },
  regex_escape: (v) => pyStr(v).replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'),
  basename: (v) => posix.basename(pyStr(v)),
  dirname: (v) => posix.dirname(pyStr(v)),
  b64encode: (v) => Buffer.from(pyStr(v), 'utf8').toString('base64'),
  b64decode: (v) => Buffer.from(pyStr(v), 'base64').toString('utf8'),
  hash: (v, [algo = 'sha1']) => hashOf(v, String(algo)),
  checksum: (v) => hashOf(v, 'sha1'),
  md5: (v) => hashOf(v, 'md5'),
  sha1: (v) => hashOf(v, 'sha1'),
  ternary: (v, [yes, no, none]) => (v === null && none !== undefined ? none : truthy(v) ? yes : no),
  quote: (v) => quote(pyStr(v)),
};

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isMapping(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}

/** json.dumps() with Python's default separators (', ' and ': '). */
function pyJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pyJson).join(', ')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => `${JSON.stringify(k)}: ${pyJson(x)}`).join(', ')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

