/**
 * Ansible's free-form `k=v` argument strings: `src=a.txt dest="/tmp/a b" mode=0644`, split as
 * ansible.parsing.splitter.split_args does: lines, then single spaces; words inside quotes or
 * {{ }} / {% %} / {# #} are put back together. A word keeps its quotes and backslashes, and the
 * end of each line but the last stays on its last word as a newline, so that joinArgs gives a
 * multi-line command (`shell: |`) back as written.
 * Not shlexSplit (modules/lib/shlex.ts): that one is sh's word splitting.
 */
export function splitArgs(text: string): string[] {
  const params: string[] = [];
  let quote: string | null = null;
  const depth = { print: 0, block: 0, comment: 0 };
  const lines = text.split('\n');
  lines.forEach((line, lineNo) => {
    let continued = false;
    line.split(' ').forEach((token, idx) => {
      if (token === '' && idx !== 0) {
        if (params.length) params[params.length - 1] += ' ';
        return;
      }
      if (token === '\\' && !quote) {
        continued = true;
        return;
      }
      const wasQuoted = quote !== null;
      quote = quoteState(token, quote);
      const inJinja = depth.print || depth.block || depth.comment;
      let appended = false;
      if (quote && !wasQuoted && !inJinja) {
        params.push(token);
        appended = true;
      } else if (inJinja || quote || wasQuoted) {
        const last = params.length - 1;
        if (idx === 0 && wasQuoted) params[last] += token;
        else if (line.split(' ').length > 1) params[last] += (idx > 0 ? ' ' : '') + token;
        else params[last] += `\n${token}`;
        appended = true;
      }
      for (const [k, open, close] of [['print', '{{', '}}'], ['block', '{%', '%}'], ['comment', '{#', '#}']] as const) {
        const before = depth[k];
        const diff = token.split(open).length - token.split(close).length;
        if (diff) depth[k] = Math.max(0, depth[k] + diff);
        if (depth[k] !== before && !appended) {
          params.push(token);
          appended = true;
        }
      }
      if (!(depth.print || depth.block || depth.comment) && !quote && !appended && token !== '') params.push(token);
    });
    if (lines.length > 1 && lineNo !== lines.length - 1 && !continued && params.length) params[params.length - 1] += '\n';
  });
  if (quote) throw new Error(`unbalanced quote (${quote}) in: ${text}`);
  if (depth.print || depth.block || depth.comment) throw new Error(`unbalanced jinja2 block ({{ }}, {% %} or {# #}) in: ${text}`);
  return params;
}

/** _get_quote_state: the quote a word leaves open (a quote after a backslash does not count). */
function quoteState(token: string, quote: string | null): string | null {
  for (let i = 0; i < token.length; i++) {
    const c = token[i];
    if ((c === '"' || c === "'") && (i === 0 || token[i - 1] !== '\\')) {
      if (!quote) quote = c;
      else if (c === quote) quote = null;
    }
  }
  return quote;
}

/** join_args: words back into the command, their newlines kept. */
export function joinArgs(words: string[]): string {
  return words.reduce((out, w) => (out === '' || out.endsWith('\n') ? out + w : `${out} ${w}`), '');
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
    if (m && (!freeKeys || freeKeys.has(m[1]))) args[m[1]] = unquote(decodeEscapes(m[2]).trim());
    else free.push(w);
  }
  return { args, free: joinArgs(free) };
}
