import nunjucks from 'nunjucks';

/** nunjucks' tokenizer, adjusted where it reads Jinja2 differently from Jinja2's own lexer. */

const { lexer } = nunjucks as any;

/** Ansible's template module and templar: trim_blocks on, lstrip_blocks off. */
const LEX_OPTS = { trimBlocks: true, lstripBlocks: false };

/**
 * Where nunjucks' lexer differs from Jinja's. Jinja balances braces, so `{{ {'a': {'b': 1}} }}`
 * works there; nunjucks would end the tag at the first `}}`. Inside an open dict literal,
 * read `}}` as a single `}`.
 */
export function tokenize(src: string): unknown {
  const tk = lexer.lex(src, LEX_OPTS);
  tk._parseString = (quote: string) => pyStringLiteral(tk, quote);
  // Jinja reads `#}` outside a comment as text; nunjucks refuses it. Its lexer enters and leaves
  // a comment through _extractString, so only a comment's own end counts as one.
  let inComment = false;
  const extract = tk._extractString.bind(tk);
  tk._extractString = (s: string) => {
    const got = extract(s);
    if (got && s === tk.tags.COMMENT_START) inComment = true;
    if (got && s === tk.tags.COMMENT_END) inComment = false;
    return got;
  };
  const matches = tk._matches.bind(tk);
  tk._matches = (s: string) => (s === tk.tags.COMMENT_END && !inComment && !tk.in_code ? null : matches(s));
  const raw = tk.nextToken.bind(tk);
  // `item.0.name`: after a dot, digits are an attribute, not a number ("0." would be a float).
  const queue: any[] = [];
  let prev: any;
  const next = () => {
    const t = queue.length ? queue.shift() : raw();
    if (prev?.type === lexer.TOKEN_OPERATOR && prev.value === '.' && (t?.type === lexer.TOKEN_INT || t?.type === lexer.TOKEN_FLOAT)) {
      const [head, ...rest] = String(t.value).split('.');
      const sym = (v: string) => ({ type: lexer.TOKEN_SYMBOL, value: v, lineno: t.lineno, colno: t.colno });
      if (rest.length) {
        queue.unshift({ type: lexer.TOKEN_OPERATOR, value: '.', lineno: t.lineno, colno: t.colno }, ...(rest[0] ? [sym(rest[0])] : []));
      }
      prev = sym(head);
      return prev;
    }
    prev = t?.type === lexer.TOKEN_WHITESPACE ? prev : t;
    return t;
  };
  let depth = 0;
  // `{% for (k, v) in ... %}`: Jinja allows the targets in parentheses; nunjucks wants them bare.
  let forTargets: 'after-for' | 'in-paren' | undefined;
  let last: any;
  const unparen = (t: any): any => {
    if (t?.type === lexer.TOKEN_WHITESPACE) return t;
    const before = last;
    last = t;
    if (t?.type === lexer.TOKEN_SYMBOL && t.value === 'for' && before?.type === lexer.TOKEN_BLOCK_START) forTargets = 'after-for';
    else if (forTargets === 'after-for' && t?.type === lexer.TOKEN_LEFT_PAREN) {
      forTargets = 'in-paren';
      return tk.nextToken();
    } else if (forTargets === 'in-paren' && t?.type === lexer.TOKEN_RIGHT_PAREN) {
      forTargets = undefined;
      return tk.nextToken();
    } else if (forTargets === 'after-for') forTargets = undefined;
    return t;
  };
  tk.nextToken = () => unparen(nextRaw());
  const nextRaw = () => {
    if (tk.in_code && depth > 0 && tk.str.startsWith('}}', tk.index)) {
      const t = { type: lexer.TOKEN_RIGHT_CURLY, value: '}', lineno: tk.lineno, colno: tk.colno };
      tk.forward();
      depth--;
      return t;
    }
    const t = next();
    if (t?.type === lexer.TOKEN_LEFT_CURLY) depth++;
    else if (t?.type === lexer.TOKEN_RIGHT_CURLY) depth--;
    else if (t?.type === lexer.TOKEN_VARIABLE_END || t?.type === lexer.TOKEN_BLOCK_END) depth = 0;
    else if (t?.type === lexer.TOKEN_COMMENT) {
      // Jinja's trim_blocks also drops the newline after a comment; nunjucks' does not.
      if (tk.str.startsWith('\r\n', tk.index)) tk.forwardN(2);
      else if (tk.str.startsWith('\n', tk.index)) tk.forward();
    }
    return t;
  };
  return tk;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0', '\n': '' };

/** A quoted string as Python reads it: unknown escapes like `\.` keep their backslash (regexes). */
function pyStringLiteral(tk: any, quote: string): string {
  tk.forward();
  let out = '';
  while (!tk.isFinished() && tk.current() !== quote) {
    const c = tk.current();
    tk.forward();
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = tk.current();
    const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    const digits = hex ? tk.str.slice(tk.index + 1, tk.index + 1 + hex) : '';
    if (hex && new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) {
      out += String.fromCodePoint(parseInt(digits, 16));
      tk.forwardN(hex + 1);
    } else if (e in ESCAPES) {
      out += ESCAPES[e];
      tk.forward();
    } else {
      out += '\\';
    }
  }
  tk.forward();
  return out;
}
