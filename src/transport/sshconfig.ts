import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';

/**
 * The subset of ssh_config(5) harun honours: Host blocks with * ? and !negation, first value
 * wins (IdentityFile accumulates), Include, HostName with %h. Match blocks are skipped:
 * their conditions need facts about the local machine harun does not emulate.
 * Keys are lower-cased; values are raw strings.
 */
export type SshOptions = Record<string, string[]>;

interface Block {
  patterns: string[] | null; // null: before any Host line (applies to all) or a skipped Match block
  skip: boolean;
  entries: [string, string[]][];
}

/** Options where every occurrence counts instead of the first one. */
const CUMULATIVE = new Set(['identityfile', 'certificatefile', 'localforward', 'remoteforward', 'dynamicforward', 'sendenv']);

/** Glob match of ssh patterns: * any run, ? one character, case-insensitive. */
export function matchPattern(pattern: string, text: string): boolean {
  // known_hosts has a plain name per line: with N hosts that is N² matches, so skip the regex
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern.toLowerCase() === text.toLowerCase();
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(text);
}

/** A Host line's pattern list: a negated match vetoes, otherwise any positive match counts. */
export function hostMatches(patterns: string[], host: string): boolean {
  let hit = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (matchPattern(p.slice(1), host)) return false;
    } else if (matchPattern(p, host)) hit = true;
  }
  return hit;
}

/** Splits words like a shell: '...' and "..." quoting, backslash escapes outside single quotes. */
export function splitWords(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let q: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === q) q = null;
      else if (c === '\\' && q === '"' && i + 1 < line.length && /["\\$`]/.test(line[i + 1])) cur += line[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      q = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (q) throw new Error(`unterminated ${q} quote in: ${line}`);
  if (inWord) out.push(cur);
  return out;
}

/** "Key value", "Key=value" or "Key = value" -> [key, words]. */
export function splitOption(line: string): [string, string[]] | null {
  const m = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)(.*)$/.exec(line);
  if (!m) return null;
  return [m[1].toLowerCase(), splitWords(m[2])];
}

function parseInto(text: string, file: string, blocks: Block[], depth: number): void {
  let cur = blocks[blocks.length - 1];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const opt = splitOption(line);
    if (!opt) continue;
    const [key, words] = opt;
    if (key === 'host') {
      cur = { patterns: words, skip: false, entries: [] };
      blocks.push(cur);
    } else if (key === 'match') {
      cur = { patterns: null, skip: !(words.length === 1 && words[0].toLowerCase() === 'all'), entries: [] };
      blocks.push(cur);
    } else if (key === 'include') {
      if (depth > 8) throw new Error(`${file}: Include nested too deeply`);
      // An Include applies inside the current block's condition, as in OpenSSH.
      const inner: Block[] = [cur];
      for (const f of words.flatMap((w) => expandInclude(w, dirname(file)))) {
        try {
          parseInto(readFileSync(f, 'utf8'), f, inner, depth + 1);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      }
      blocks.push(...inner.slice(1));
      if (inner.length > 1) blocks.push((cur = { ...cur, entries: [] }));
    } else cur.entries.push([key, words]);
  }
}

function expandInclude(word: string, base: string): string[] {
  const p = expandTilde(word);
  const full = isAbsolute(p) ? p : join(base, p);
  if (!/[*?]/.test(basename(full))) return [full];
  try {
    return readdirSync(dirname(full))
      .filter((n) => matchPattern(basename(full), n))
      .sort()
      .map((n) => join(dirname(full), n));
  } catch {
    return [];
  }
}

export function expandTilde(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}

export function parseSshConfig(text: string, file = 'ssh_config'): Block[] {
  const blocks: Block[] = [{ patterns: null, skip: false, entries: [] }];
  parseInto(text, file, blocks, 0);
  return blocks;
}

/** Merge `src` under `dst`: the first value of each option wins, cumulative ones append. */
export function mergeOptions(dst: SshOptions, src: SshOptions | [string, string[]][]): SshOptions {
  for (const [k, v] of Array.isArray(src) ? src : Object.entries(src)) {
    if (!(k in dst)) dst[k] = [...v];
    else if (CUMULATIVE.has(k)) dst[k].push(...v);
  }
  return dst;
}

/** The options that apply to `host` (the name given on the ssh command line). */
export function lookupSshConfig(blocks: Block[], host: string): SshOptions {
  const out: SshOptions = {};
  for (const b of blocks) {
    if (b.skip || (b.patterns && !hostMatches(b.patterns, host))) continue;
    mergeOptions(out, b.entries);
  }
  return out;
}

/** Reads ~/.ssh/config (or `file`); a missing file is an empty config. */
export function loadSshConfig(file = join(homedir(), '.ssh', 'config')): Block[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    /* no config */
  }
  return parseSshConfig(text, file);
}

/** What an ssh command line (ansible_ssh_common_args / extra_args) contributes. */
export interface SshArgs {
  options: SshOptions;
  identityFiles: string[];
  port?: number;
  user?: string;
  jump?: string;
  configFile?: string;
}

/** Parses `-o Key=Value`, `-oKey=Value`, `-i file`, `-p port`, `-l user`, `-J jump`, `-F file`; other flags are ignored. */
export function parseSshArgs(text: string): SshArgs {
  const w = splitWords(text);
  const r: SshArgs = { options: {}, identityFiles: [] };
  const withArg = 'bcDEeFIiJLlmOopQRSWw';
  for (let i = 0; i < w.length; i++) {
    const m = /^-([A-Za-z])(.*)$/.exec(w[i]);
    if (!m) continue;
    const flag = m[1];
    if (!withArg.includes(flag)) continue;
    const val = m[2] !== '' ? m[2] : w[++i];
    if (val === undefined) throw new Error(`ssh argument -${flag} needs a value in: ${text}`);
    if (flag === 'o') {
      const opt = splitOption(val);
      if (!opt) throw new Error(`ssh option "-o ${val}" is not Key=Value`);
      mergeOptions(r.options, [opt]);
    } else if (flag === 'i') r.identityFiles.push(val);
    else if (flag === 'p') r.port = Number(val);
    else if (flag === 'l') r.user = val;
    else if (flag === 'J') r.jump = val;
    else if (flag === 'F') r.configFile = val;
  }
  return r;
}
