/**
 * Tokenizer of Temporal's List Filter language (the SQL-like "visibility query").
 * Strings: 'single' or "double" quoted, a doubled quote or a backslash escapes. Attribute names:
 * bare identifiers or `backquoted`. Numbers: 12, 1.5, 2e3 (a leading minus is parsed as a sign).
 */
import { QueryError } from './errors';

export type TokenType = 'ident' | 'string' | 'number' | 'op' | 'lparen' | 'rparen' | 'comma' | 'keyword' | 'eof';

export interface Token {
  type: TokenType;
  /** ident: the name; string: the unescaped text; number: its source text; op/keyword: upper-cased */
  value: string;
  /** 0-based offset in the query */
  pos: number;
  /** true for a `backquoted` identifier (never a keyword) */
  quoted?: boolean;
}

export const KEYWORDS = new Set([
  'AND',
  'OR',
  'NOT',
  'IN',
  'BETWEEN',
  'IS',
  'NULL',
  'ORDER',
  'GROUP',
  'BY',
  'ASC',
  'DESC',
  'STARTS_WITH',
  'TRUE',
  'FALSE',
  'LIKE',
  'LIMIT',
]);

export const MAX_QUERY_LENGTH = 32 * 1024;

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_.]/;

export function tokenize(q: string): Token[] {
  if (q.length > MAX_QUERY_LENGTH) throw new QueryError(`the query is ${q.length} characters long; the limit is ${MAX_QUERY_LENGTH}`, MAX_QUERY_LENGTH);
  const out: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (c === '(') {
      out.push({ type: 'lparen', value: '(', pos: i++ });
    } else if (c === ')') {
      out.push({ type: 'rparen', value: ')', pos: i++ });
    } else if (c === ',') {
      out.push({ type: 'comma', value: ',', pos: i++ });
    } else if (c === '=') {
      out.push({ type: 'op', value: '=', pos: i++ });
    } else if (c === '!' || c === '<' || c === '>') {
      const two = q.slice(i, i + 2);
      if (two === '!=' || two === '<=' || two === '>=' || two === '<>') {
        out.push({ type: 'op', value: two === '<>' ? '!=' : two, pos: i });
        i += 2;
      } else if (c === '!') {
        throw new QueryError(`unexpected character '!' (did you mean '!='?)`, i);
      } else {
        out.push({ type: 'op', value: c, pos: i++ });
      }
    } else if (c === "'" || c === '"') {
      let text = '';
      i++;
      for (;;) {
        if (i >= q.length) throw new QueryError(`unterminated string starting with ${c}`, start);
        const d = q[i]!;
        if (d === '\\' && i + 1 < q.length) {
          const e = q[i + 1]!;
          text += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
          i += 2;
        } else if (d === c) {
          if (q[i + 1] === c) {
            text += c;
            i += 2;
          } else {
            i++;
            break;
          }
        } else {
          text += d;
          i++;
        }
      }
      out.push({ type: 'string', value: text, pos: start });
    } else if (c === '`') {
      const end = q.indexOf('`', i + 1);
      if (end < 0) throw new QueryError('unterminated `backquoted` attribute name', start);
      const name = q.slice(i + 1, end);
      if (name.length === 0) throw new QueryError('empty `` attribute name', start);
      out.push({ type: 'ident', value: name, pos: start, quoted: true });
      i = end + 1;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(q[i + 1] ?? ''))) {
      const m = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(q.slice(i, i + 400));
      const text = m![0];
      i += text.length;
      if (i < q.length && IDENT_PART.test(q[i]!)) throw new QueryError(`malformed number starting with ${text}`, start);
      out.push({ type: 'number', value: text, pos: start });
    } else if (IDENT_START.test(c)) {
      while (i < q.length && IDENT_PART.test(q[i]!)) i++;
      const word = q.slice(start, i);
      const upper = word.toUpperCase();
      if (KEYWORDS.has(upper)) out.push({ type: 'keyword', value: upper, pos: start });
      else out.push({ type: 'ident', value: word, pos: start });
    } else if (c === '-') {
      out.push({ type: 'op', value: '-', pos: i++ });
    } else {
      const cp = q.codePointAt(i)!;
      const shown = cp < 32 || cp === 127 ? `U+${cp.toString(16).toUpperCase().padStart(4, '0')}` : `'${String.fromCodePoint(cp)}'`;
      throw new QueryError(`unexpected character ${shown}`, i);
    }
  }
  out.push({ type: 'eof', value: '', pos: q.length });
  return out;
}
