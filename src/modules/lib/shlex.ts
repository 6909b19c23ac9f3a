/** POSIX-shell word splitting (Python's shlex.split) and Ansible's k=v extraction from free-form text. */

/**
 * Split a command line into words: quotes and backslashes as in sh, no expansion.
 * Not splitArgs (config/kv.ts): sh removes quotes, honours backslash escapes and splits inside {{ }}.
 */
export function shlexSplit(s: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let q: '' | "'" | '"' = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q === "'") {
      if (c === "'") q = '';
      else cur += c;
    } else if (q === '"') {
      if (c === '"') q = '';
      else if (c === '\\' && i + 1 < s.length && '\\"$`\n'.includes(s[i + 1])) cur += s[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      q = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 < s.length) cur += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (q) throw new Error(`unterminated ${q === '"' ? 'double' : 'single'} quote in: ${s}`);
  if (inWord) words.push(cur);
  return words;
}

/**
 * Take `key=value` words for the given keys out of free-form text, wherever they stand outside
 * quotes (`creates=/x chdir=/tmp make install`), as Ansible does. The rest keeps its spacing.
 */
export function extractKv(text: string, keys: readonly string[]): { rest: string; kv: Record<string, string> } {
  const kv: Record<string, string> = {};
  const re = new RegExp(`^(${keys.join('|')})=`);
  let rest = '';
  let i = 0;
  while (i < text.length) {
    // copy whitespace
    if (/\s/.test(text[i])) {
      rest += text[i++];
      continue;
    }
    // find the end of this word, honouring quotes
    let j = i;
    let q = '';
    while (j < text.length && (q || !/\s/.test(text[j]))) {
      const c = text[j];
      if (q) {
        if (c === q) q = '';
        else if (c === '\\' && q === '"') j++;
      } else if (c === "'" || c === '"') q = c;
      else if (c === '\\') j++;
      j++;
    }
    const word = text.slice(i, j);
    const m = re.exec(word);
    if (m) {
      kv[m[1]] = shlexSplit(word.slice(m[0].length)).join(' ');
      // drop the whitespace that followed the pair
      while (j < text.length && /[ \t]/.test(text[j])) j++;
    } else rest += word;
    i = j;
  }
  return { rest: rest.trim(), kv };
}
