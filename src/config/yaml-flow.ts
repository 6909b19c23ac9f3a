/**
 * PyYAML, and so Ansible, reads a flow collection (`[...]`, `{...}`) whose later lines start at
 * or left of the line that opened it:
 *
 *     nginx_add_header: [
 *     "X-Frame-Options SAMEORIGIN",
 *     ]
 *
 * The yaml package follows the YAML spec and refuses those lines. Used only after that refusal:
 * each such line is indented one column past the line that opened the collection, so line
 * numbers stay and only those lines' columns move. Quoted scalars, comments and block scalars
 * are stepped over, so a bracket inside them opens nothing.
 */
export function indentFlowLines(text: string): string {
  const lines = text.split('\n');
  let depth = 0;
  let quote = '';
  let openIndent = 0;
  let blockIndent = -1; // inside a | or > block scalar: lines indented past this one
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n];
    const indent = line.length - line.trimStart().length;
    if (blockIndent >= 0) {
      if (!line.trim() || indent > blockIndent) continue;
      blockIndent = -1;
    }
    if (depth > 0 && line.trim() && indent <= openIndent) {
      line = ' '.repeat(openIndent + 1 - indent) + line;
      lines[n] = line;
    }
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quote) {
        if (quote === '"' && c === '\\') i++;
        else if (c === quote && quote === "'" && line[i + 1] === "'") i++;
        else if (c === quote) quote = '';
        continue;
      }
      const before = line.slice(0, i).trimEnd();
      const valueStart = before === '' || before.endsWith(':') || before.endsWith('-') || (depth > 0 && /[[{,:]$/.test(before));
      if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) break;
      if ((c === '"' || c === "'") && valueStart) quote = c;
      else if (depth === 0 && (c === '|' || c === '>') && valueStart) {
        blockIndent = line.length - line.trimStart().length;
        break;
      } else if ((c === '[' || c === '{') && (depth > 0 || valueStart)) {
        if (depth === 0) openIndent = line.length - line.trimStart().length;
        depth++;
      } else if ((c === ']' || c === '}') && depth > 0) depth--;
      else if (depth === 0 && !/\s/.test(c) && !valueStart) {
        // a plain scalar in block context: its brackets are text, up to a ': ' or ' #'
        const end = line.slice(i).search(/:\s|\s#/);
        if (end < 0) break;
        i += end;
      }
    }
  }
  return lines.join('\n');
}
