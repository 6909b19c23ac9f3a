/**
 * Ansible's INI inventory format (plugins/inventory/ini.py): `[group]`, `[group:children]`,
 * `[group:vars]`, host lines `name[range][:port] k=v ...` split like shlex, `#` and `;`
 * comments. Errors name file:line:col and quote the line.
 */
import { ValidationError, type SourcePos } from '../errors.js';
import type { InventoryData } from './data.js';
import { parseIniValue } from './literal.js';
import { expandHostSpec } from './range.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/;

interface Token {
  text: string;
  col: number; // 0-based offset in the raw line
}

export function parseIni(text: string, file: string, inv: InventoryData): void {
  const lines = text.split(/\r?\n/);
  let group = 'ungrouped';
  let state = 'hosts';
  // [g:vars] of a group never declared, and [g:children] naming one, are errors at the end
  const pending = new Map<string, { pos: SourcePos; raw: string; state: string; parents: string[] }>();
  const declared = new Set(inv.groups.keys());

  lines.forEach((raw, idx) => {
    const lineNo = idx + 1;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    const fail = (msg: string, col = indent): never => {
      throw new ValidationError('inventory', msg, { file, line: lineNo, col: col + 1 }, raw);
    };
    if (!line || line[0] === '#' || line[0] === ';') return;

    const m = SECTION.exec(line);
    if (m) {
      group = m[1];
      state = m[2] ?? 'hosts';
      if (!['hosts', 'children', 'vars'].includes(state)) {
        fail(`section [${m[1]}:${state}] has unknown type '${state}' (expected hosts, children or vars)`, raw.indexOf(':', indent) + 1);
      }
      inv.addGroup(group);
      if (state === 'vars') {
        if (!declared.has(group) && !pending.has(group)) pending.set(group, { pos: at(file, lineNo, indent), raw, state, parents: [] });
      } else {
        declared.add(group);
        if (pending.has(group)) {
          const p = pending.get(group)!;
          pending.delete(group);
          if (p.state === 'children') for (const parent of p.parents) inv.addChild(parent, group, p.pos);
        }
      }
      return;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      fail(`invalid section header ${line}: a section is [name], [name:children] or [name:vars], with no spaces`);
    }

    if (state === 'hosts') {
      const tokens = shlex(raw, (msg, col) => fail(`cannot parse host line: ${msg}`, col));
      if (tokens.length === 0) return;
      const pos = at(file, lineNo, tokens[0].col);
      let spec: { names: string[]; port?: number };
      try {
        spec = expandHostSpec(tokens[0].text);
      } catch (e) {
        return fail((e as Error).message, tokens[0].col);
      }
      const vars: [string, unknown, SourcePos][] = [];
      for (const t of tokens.slice(1)) {
        const eq = t.text.indexOf('=');
        if (eq <= 0) fail(`expected key=value host variable assignment, got '${t.text}'`, t.col);
        vars.push([t.text.slice(0, eq), parseIniValue(t.text.slice(eq + 1)), at(file, lineNo, t.col)]);
      }
      for (const name of spec.names) {
        inv.addHost(name, group, file, spec.port, pos);
        for (const [k, v, p] of vars) inv.setHostVar(name, k, v, p);
      }
    } else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) fail(`expected key=value in [${group}:vars], got '${line}'`);
      const key = line.slice(0, eq).trim();
      if (!key) fail(`missing variable name before '=' in [${group}:vars]`);
      inv.setGroupVar(group, key, parseIniValue(line.slice(eq + 1).trim()), at(file, lineNo, indent));
    } else {
      const gm = GROUP_NAME.exec(line);
      if (!gm) return fail(`expected a group name in [${group}:children], got '${line}'`);
      const child = gm[1];
      const pos = at(file, lineNo, indent);
      if (declared.has(child)) inv.addChild(group, child, pos);
      else {
        const p = pending.get(child);
        if (p && p.state === 'children') p.parents.push(group);
        else pending.set(child, { pos, raw, state: 'children', parents: [group] });
      }
    }
  });

  for (const [name, p] of pending) {
    const msg =
      p.state === 'vars'
        ? `section [${name}:vars] is not valid for undefined group '${name}'`
        : `section [${p.parents.at(-1)}:children] includes undefined group '${name}'`;
    throw new ValidationError('inventory', msg, p.pos, p.raw);
  }
}

function at(file: string, line: number, col0: number): SourcePos {
  return { file, line, col: col0 + 1 };
}

/** POSIX shlex.split(line, comments=True) as Python does it, keeping each token's column. */
export function shlex(line: string, fail: (msg: string, col: number) => never): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length || line[i] === '#') break;
    const start = i;
    let text = '';
    while (i < line.length && !/\s/.test(line[i])) {
      const c = line[i];
      if (c === '#') {
        i = line.length; // a comment may start inside a word, as in shlex
        break;
      }
      if (c === '\\') {
        if (i + 1 >= line.length) fail('no escaped character after a backslash', i);
        text += line[i + 1];
        i += 2;
      } else if (c === "'" || c === '"') {
        const close = c === "'" ? line.indexOf("'", i + 1) : findDoubleQuoteEnd(line, i + 1);
        if (close < 0) fail(`no closing quotation for the ${c} opened here`, i);
        const body = line.slice(i + 1, close);
        text += c === "'" ? body : body.replace(/\\(["\\])/g, '$1');
        i = close + 1;
      } else {
        text += c;
        i++;
      }
    }
    out.push({ text, col: start });
  }
  return out;
}

function findDoubleQuoteEnd(line: string, from: number): number {
  for (let i = from; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === '"') return i;
  }
  return -1;
}
