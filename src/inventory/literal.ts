/**
 * Typing of INI inventory values the way Ansible does it: Python's ast.literal_eval, and the
 * raw text when that fails. So `3` is a number, `True` a boolean, `[1, 'a']` a list, while
 * `true`, `yes`, `0644` and `a b` stay strings. Only literals are understood, never names.
 */

class NotLiteral extends Error {}

export function parseIniValue(text: string): unknown {
  try {
    const p = new Parser(text);
    p.ws();
    const v = p.expr();
    p.ws();
    if (p.i < text.length) throw new NotLiteral();
    return v;
  } catch (e) {
    if (e instanceof NotLiteral) return text;
    throw e;
  }
}

const ESCAPES: Record<string, string> = {
  n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '',
};

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  ws(): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\t') this.i++;
      else if (c === '#') this.i = this.s.length; // a Python comment ends the expression
      else break;
    }
  }

  expr(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) throw new NotLiteral();
    if (c === '[') return this.seq(']');
    if (c === '(') return this.seq(')');
    if (c === '{') return this.dict();
    if (c === '-' || c === '+') {
      this.i++;
      const v = this.expr();
      if (typeof v !== 'number') throw new NotLiteral();
      return c === '-' ? -v : v;
    }
    if (/[0-9.]/.test(c)) return this.number();
    if (/[rRuU]?['"]/.test(this.s.slice(this.i, this.i + 2)) || c === '"' || c === "'") return this.strings();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i))?.[0];
    if (word === 'True' || word === 'False' || word === 'None') {
      this.i += word.length;
      return word === 'True' ? true : word === 'False' ? false : null;
    }
    throw new NotLiteral();
  }

  number(): number {
    const rest = this.s.slice(this.i);
    const m =
      /^0[xX](?:_?[0-9a-fA-F])+|^0[oO](?:_?[0-7])+|^0[bB](?:_?[01])+/.exec(rest) ??
      /^(?:[0-9](?:_?[0-9])*)?(?:\.(?:[0-9](?:_?[0-9])*)?)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?/.exec(rest);
    const t = m?.[0] ?? '';
    if (!t || t === '.' || /^\.?[eE]/.test(t)) throw new NotLiteral();
    this.i += t.length;
    if (/^[A-Za-z0-9_]/.test(this.s.slice(this.i))) throw new NotLiteral(); // 1x, 10j
    const clean = t.replace(/_/g, '');
    if (/^0[xXoObB]/.test(clean)) return Number(clean);
    // Python 3 rejects 0644: leading zeros are only allowed for zero itself
    if (/^0[0-9]/.test(clean) && !/[.eE]/.test(clean) && !/^0+$/.test(clean)) throw new NotLiteral();
    return Number(clean);
  }

  strings(): string {
    let out = '';
    do {
      out += this.string();
      this.ws();
    } while (this.i < this.s.length && /^[rRuU]?['"]/.test(this.s.slice(this.i)));
    return out;
  }

  string(): string {
    let raw = false;
    if (/[rRuU]/.test(this.s[this.i])) {
      raw = /[rR]/.test(this.s[this.i]);
      this.i++;
    }
    const q = this.s[this.i++];
    if (this.s.startsWith(q + q, this.i)) throw new NotLiteral(); // triple quotes: leave as text
    let out = '';
    for (;;) {
      const c = this.s[this.i++];
      if (c === undefined) throw new NotLiteral();
      if (c === q) return out;
      if (c === '\\') {
        const n = this.s[this.i++];
        if (n === undefined) throw new NotLiteral();
        if (raw) out += '\\' + n;
        else if (n in ESCAPES) out += ESCAPES[n];
        else if (n === 'x' || n === 'u') {
          const len = n === 'x' ? 2 : 4;
          const hex = this.s.slice(this.i, this.i + len);
          if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw new NotLiteral();
          out += String.fromCharCode(parseInt(hex, 16));
          this.i += len;
        } else out += '\\' + n;
      } else out += c;
    }
  }

  seq(close: string): unknown[] {
    this.i++;
    const out: unknown[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(this.expr());
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== close) throw new NotLiteral();
    }
  }

  dict(): Record<string, unknown> | unknown[] {
    this.i++;
    const out: Record<string, unknown> = {};
    for (;;) {
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      const k = this.expr();
      this.ws();
      if (this.s[this.i] !== ':') throw new NotLiteral(); // sets are not worth supporting
      this.i++;
      if (k !== null && typeof k === 'object') throw new NotLiteral();
      out[String(k)] = this.expr();
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') throw new NotLiteral();
    }
  }
}
