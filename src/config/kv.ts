/**
 * Ansible's free-form `k=v` argument strings: `src=a.txt dest="/tmp/a b" mode=0644`.
 * Values keep quotes' contents; words without `=` are returned as free text (in order).
 * Not shlexSplit (modules/lib/shlex.ts): words keep their quotes and backslashes, {{ }} and {% %} are not split.
 */
export function splitArgs(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let inWord = false;
  let depth = 0; // inside {{ }} or {% %}: spaces do not split
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      cur += c;
      if (c === '\\' && i + 1 < text.length) cur += text[++i];
      else if (c === quote) quote = null;
      continue;
    }
    if ((c === '{' && (text[i + 1] === '{' || text[i + 1] === '%')) || (c === '}' && text[i - 1] !== '}' && depth && text[i + 1] === '}')) {
      depth += c === '{' ? 1 : -1;
    }
    if ((c === '"' || c === "'") && depth === 0) {
      quote = c;
      cur += c;
      inWord = true;
      continue;
    }
    if (/\s/.test(c) && depth === 0) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    cur += c;
    inWord = true;
  }
  if (quote) throw new Error(`unbalanced quote (${quote}) in: ${text}`);
  if (inWord) words.push(cur);
  return words;
}

const SIMPLE: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/**
 * Ansible's parse_kv decodes escapes in each k=v word before it splits it (splitter.py
 * _decode_escapes: \\ \' \" \a \b \f \n \r \t \v \xHH \uHHHH \UHHHHHHHH), so
 * `content="x\n"` ends in a newline. \N{name} is left as written.
 */
export function decodeEscapes(s: string): string {
  return s.replace(/\\(U[0-9a-fA-F]{8}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[\\'"abfnrtv])/g, (m, e: string) =>
    e.length === 1 ? SIMPLE[e] : String.fromCodePoint(parseInt(e.slice(1), 16)),
  );
}

/** Ansible's unquote: only matching outer quotes go (the escapes inside were decoded before). */
function unquote(v: string): string {
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0] && v[v.length - 2] !== '\\') return v.slice(1, -1);
  return v;
}

/**
 * Parse `k=v` pairs. `freeKeys`: keys that are recognised inside free-form commands
 * (creates, chdir...); when given, other words stay free text.
 */
export function parseKv(text: string, freeKeys?: Set<string>): { args: Record<string, string>; free: string } {
  const args: Record<string, string> = {};
  const free: string[] = [];
  for (const w of splitArgs(text)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(w);
    if (m && (!freeKeys || freeKeys.has(m[1]))) args[m[1]] = unquote(decodeEscapes(m[2]));
    else free.push(w);
  }
  return { args, free: free.join(' ') };
}
