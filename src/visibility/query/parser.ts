/**
 * Recursive-descent parser of the List Filter language into a typed AST. Grammar:
 *
 *   query     := [ expr ] [ GROUP BY attr {, attr} ] [ ORDER BY attr [ASC|DESC] {, attr [ASC|DESC]} ] EOF
 *   expr      := andExpr { OR andExpr }
 *   andExpr   := notExpr { AND notExpr }
 *   notExpr   := NOT notExpr | '(' expr ')' | predicate
 *   predicate := attr cmpOp value
 *              | attr [NOT] IN '(' value {, value} ')'
 *              | attr [NOT] BETWEEN value AND value
 *              | attr [NOT] STARTS_WITH value
 *              | attr IS [NOT] NULL
 *   value     := string | [-] number | TRUE | FALSE
 *
 * The parser knows no attribute types: the compiler checks names, types and operators. Limits keep
 * hostile input cheap: nesting depth, number of predicates, values in an IN list.
 */
import { QueryError } from './errors';
import { tokenize, type Token } from './tokenizer';

export type CmpOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export interface AttrRef {
  name: string;
  pos: number;
}

export type Literal =
  { kind: 'string'; value: string; pos: number } | { kind: 'number'; value: number; text: string; pos: number } | { kind: 'bool'; value: boolean; pos: number };

export type Expr =
  | { kind: 'and' | 'or'; terms: Expr[]; pos: number }
  | { kind: 'not'; expr: Expr; pos: number }
  | { kind: 'cmp'; attr: AttrRef; op: CmpOp; value: Literal; pos: number }
  | { kind: 'in'; attr: AttrRef; values: Literal[]; negated: boolean; pos: number }
  | { kind: 'between'; attr: AttrRef; low: Literal; high: Literal; negated: boolean; pos: number }
  | { kind: 'startsWith'; attr: AttrRef; value: Literal; negated: boolean; pos: number }
  | { kind: 'isNull'; attr: AttrRef; negated: boolean; pos: number };

export interface OrderItem {
  attr: AttrRef;
  desc: boolean;
}

export interface Query {
  where: Expr | undefined;
  groupBy: AttrRef[];
  orderBy: OrderItem[];
}

export const MAX_DEPTH = 32;
export const MAX_PREDICATES = 200;
export const MAX_IN_VALUES = 1000;

export function parseQuery(text: string): Query {
  return new Parser(tokenize(text)).parse();
}

class Parser {
  private i = 0;
  private depth = 0;
  private predicates = 0;

  constructor(private readonly toks: Token[]) {}

  private peek(): Token {
    return this.toks[this.i]!;
  }

  private next(): Token {
    const t = this.toks[this.i]!;
    if (t.type !== 'eof') this.i++;
    return t;
  }

  private isKw(t: Token, kw: string): boolean {
    return t.type === 'keyword' && t.value === kw;
  }

  private acceptKw(kw: string): Token | undefined {
    return this.isKw(this.peek(), kw) ? this.next() : undefined;
  }

  private expectKw(kw: string, after: string): Token {
    const t = this.peek();
    if (!this.isKw(t, kw)) throw new QueryError(`expected ${kw} ${after}, found ${show(t)}`, t.pos);
    return this.next();
  }

  parse(): Query {
    let where: Expr | undefined;
    const first = this.peek();
    if (first.type !== 'eof' && !this.isKw(first, 'ORDER') && !this.isKw(first, 'GROUP')) where = this.expr();
    const groupBy: AttrRef[] = [];
    const orderBy: OrderItem[] = [];
    if (this.acceptKw('GROUP')) {
      this.expectKw('BY', 'after GROUP');
      do groupBy.push(this.attr('in GROUP BY'));
      while (this.acceptComma());
    }
    if (this.acceptKw('ORDER')) {
      this.expectKw('BY', 'after ORDER');
      do {
        const attr = this.attr('in ORDER BY');
        let desc = false;
        if (this.acceptKw('DESC')) desc = true;
        else this.acceptKw('ASC');
        orderBy.push({ attr, desc });
      } while (this.acceptComma());
    }
    const t = this.peek();
    if (t.type !== 'eof') {
      if (t.type === 'rparen') throw new QueryError("unbalanced ')': no '(' to close", t.pos);
      if (this.isKw(t, 'GROUP')) throw new QueryError('GROUP BY must come before ORDER BY', t.pos);
      if (this.isKw(t, 'LIMIT')) throw new QueryError('LIMIT is not supported; use the page size of the request', t.pos);
      throw new QueryError(`unexpected ${show(t)}; expected AND, OR, GROUP BY, ORDER BY or the end of the query`, t.pos);
    }
    return { where, groupBy, orderBy };
  }

  private acceptComma(): boolean {
    if (this.peek().type === 'comma') {
      this.next();
      return true;
    }
    return false;
  }

  private enter(pos: number): void {
    if (++this.depth > MAX_DEPTH) throw new QueryError(`the query is nested more than ${MAX_DEPTH} levels deep`, pos);
  }

  private expr(): Expr {
    const pos = this.peek().pos;
    this.enter(pos);
    const terms = [this.andExpr()];
    while (this.acceptKw('OR')) terms.push(this.andExpr());
    this.depth--;
    return terms.length === 1 ? terms[0]! : { kind: 'or', terms, pos };
  }

  private andExpr(): Expr {
    const pos = this.peek().pos;
    const terms = [this.notExpr()];
    while (this.acceptKw('AND')) terms.push(this.notExpr());
    return terms.length === 1 ? terms[0]! : { kind: 'and', terms, pos };
  }

  private notExpr(): Expr {
    const t = this.peek();
    if (this.isKw(t, 'NOT')) {
      this.next();
      this.enter(t.pos);
      const expr = this.notExpr();
      this.depth--;
      return { kind: 'not', expr, pos: t.pos };
    }
    if (t.type === 'lparen') {
      this.next();
      if (this.peek().type === 'rparen') throw new QueryError("empty parentheses '()'", this.peek().pos);
      const e = this.expr();
      const close = this.peek();
      if (close.type !== 'rparen') throw new QueryError(`expected ')' to close the '(' at column ${t.pos + 1}, found ${show(close)}`, close.pos);
      this.next();
      return e;
    }
    return this.predicate();
  }

  private attr(where: string): AttrRef {
    const t = this.peek();
    if (t.type === 'ident') {
      this.next();
      return { name: t.value, pos: t.pos };
    }
    if (t.type === 'keyword')
      throw new QueryError(
        `expected a search attribute name ${where}, found the keyword ${t.value} (backquote a name that is a keyword: \`${t.value}\`)`,
        t.pos,
      );
    throw new QueryError(`expected a search attribute name ${where}, found ${show(t)}`, t.pos);
  }

  private predicate(): Expr {
    const attr = this.attr('at the start of a condition');
    if (++this.predicates > MAX_PREDICATES) throw new QueryError(`the query has more than ${MAX_PREDICATES} conditions`, attr.pos);
    const t = this.peek();
    const pos = attr.pos;
    if (t.type === 'op' && t.value !== '-') {
      this.next();
      return { kind: 'cmp', attr, op: t.value as CmpOp, value: this.value(`after ${attr.name} ${t.value}`), pos };
    }
    if (this.isKw(t, 'IS')) {
      this.next();
      const negated = !!this.acceptKw('NOT');
      this.expectKw('NULL', negated ? 'after IS NOT' : 'after IS');
      return { kind: 'isNull', attr, negated, pos };
    }
    const negated = !!this.acceptKw('NOT');
    const op = this.peek();
    if (this.isKw(op, 'IN')) {
      this.next();
      const open = this.peek();
      if (open.type !== 'lparen') throw new QueryError(`expected '(' after IN, found ${show(open)}`, open.pos);
      this.next();
      const values: Literal[] = [];
      do {
        if (values.length >= MAX_IN_VALUES) throw new QueryError(`an IN list may hold at most ${MAX_IN_VALUES} values`, this.peek().pos);
        values.push(this.value('in the IN list'));
      } while (this.acceptComma());
      const close = this.peek();
      if (close.type !== 'rparen') throw new QueryError(`expected ',' or ')' in the IN list, found ${show(close)}`, close.pos);
      this.next();
      return { kind: 'in', attr, values, negated, pos };
    }
    if (this.isKw(op, 'BETWEEN')) {
      this.next();
      const low = this.value('after BETWEEN');
      this.expectKw('AND', 'between the two values of BETWEEN');
      const high = this.value('after BETWEEN ... AND');
      return { kind: 'between', attr, low, high, negated, pos };
    }
    if (this.isKw(op, 'STARTS_WITH')) {
      this.next();
      return { kind: 'startsWith', attr, value: this.value('after STARTS_WITH'), negated, pos };
    }
    if (this.isKw(op, 'LIKE')) throw new QueryError('LIKE is not supported; use STARTS_WITH', op.pos);
    throw new QueryError(`expected an operator after ${attr.name} (=, !=, <, <=, >, >=, IN, NOT IN, BETWEEN, STARTS_WITH, IS NULL), found ${show(op)}`, op.pos);
  }

  private value(where: string): Literal {
    const t = this.next();
    if (t.type === 'string') return { kind: 'string', value: t.value, pos: t.pos };
    if (t.type === 'number' || (t.type === 'op' && t.value === '-')) {
      let text = t.value;
      if (t.type === 'op') {
        const n = this.next();
        if (n.type !== 'number') throw new QueryError(`expected a number after '-', found ${show(n)}`, n.pos);
        text = `-${n.value}`;
      }
      const value = Number(text);
      if (!Number.isFinite(value)) throw new QueryError(`number ${text.slice(0, 40)} is out of range`, t.pos);
      return { kind: 'number', value, text, pos: t.pos };
    }
    if (this.isKw(t, 'TRUE') || this.isKw(t, 'FALSE')) return { kind: 'bool', value: t.value === 'TRUE', pos: t.pos };
    if (t.type === 'ident')
      throw new QueryError(`expected a value ${where}, found the name ${t.value.slice(0, 40)} (quote string values: '${t.value.slice(0, 40)}')`, t.pos);
    throw new QueryError(`expected a value ${where}, found ${show(t)}`, t.pos);
  }
}

function show(t: Token): string {
  switch (t.type) {
    case 'eof':
      return 'the end of the query';
    case 'string':
      return `the string '${t.value.length > 20 ? `${t.value.slice(0, 20)}...` : t.value}'`;
    case 'ident':
      return `the name ${t.value.length > 40 ? `${t.value.slice(0, 40)}...` : t.value}`;
    case 'keyword':
      return `the keyword ${t.value}`;
    default:
      return `'${t.value.slice(0, 40)}'`;
  }
}
