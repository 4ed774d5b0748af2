/**
 * Splits a schema file into statements the way Temporal's tools do, so that their versioned
 * directories work here unchanged: `;` ends a statement only at depth 0, that is outside quotes
 * ('', "", ``), dollar-quoted bodies ($$ … $$, $tag$ … $tag$), parentheses and BEGIN … END / CASE …
 * END blocks; `--` and `/* *\/` comments are dropped. Anything left open at the end of the file is an
 * error naming the file and the line where the open construct started.
 */
import { SchemaDirError } from './errors';

export interface Statement {
  /** The statement text, trimmed, without the closing `;`. */
  readonly sql: string;
  /** 1-based line of the statement's first character in its file. */
  readonly line: number;
}

const BLOCK_OPEN = new Set(['BEGIN', 'CASE']);
// END IF / END LOOP / END WHILE / END REPEAT close constructs we do not count.
const END_SUFFIX_IGNORED = new Set(['IF', 'LOOP', 'WHILE', 'REPEAT']);

export function splitStatements(text: string, fileLabel: string): Statement[] {
  const out: Statement[] = [];
  let buf = '';
  let startLine = 0;
  let line = 1;
  let parenDepth = 0;
  let blockDepth = 0;
  const opened: { what: string; line: number }[] = [];
  let i = 0;
  const n = text.length;

  const push = (s: string) => {
    if (buf.trim() === '' && s.trim() !== '' && startLine === 0) startLine = line;
    buf += s;
  };
  const flush = () => {
    const sql = buf.trim();
    if (sql !== '') out.push({ sql, line: startLine || line });
    buf = '';
    startLine = 0;
  };
  const openAt = (what: string) => opened.push({ what, line });

  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '\n') {
      push(c);
      line++;
      i++;
      continue;
    }
    if (c === '-' && next === '-') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new SchemaDirError(`${fileLabel}:${line}: a /* comment is never closed`);
      for (let k = i; k < end + 2; k++) if (text[k] === '\n') line++;
      buf += ' ';
      i = end + 2;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      const startedAt = line;
      let j = i + 1;
      for (;;) {
        if (j >= n) throw new SchemaDirError(`${fileLabel}:${startedAt}: a ${c} quote is never closed`);
        const d = text[j]!;
        if (d === '\\' && c !== '`') {
          j += 2;
          continue;
        }
        if (d === c) {
          if (text[j + 1] === c) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      const chunk = text.slice(i, j + 1);
      push(chunk);
      line += (chunk.match(/\n/g) ?? []).length;
      i = j + 1;
      continue;
    }
    if (c === '$') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i, i + 64));
      if (m) {
        const tag = m[0];
        const end = text.indexOf(tag, i + tag.length);
        if (end < 0) throw new SchemaDirError(`${fileLabel}:${line}: the dollar-quoted body ${tag} is never closed`);
        const chunk = text.slice(i, end + tag.length);
        push(chunk);
        line += (chunk.match(/\n/g) ?? []).length;
        i = end + tag.length;
        continue;
      }
    }
    if (c === '(') {
      parenDepth++;
      openAt('(');
    } else if (c === ')') {
      if (parenDepth === 0) throw new SchemaDirError(`${fileLabel}:${line}: ")" without a matching "("`);
      parenDepth--;
      opened.pop();
    } else if (/[A-Za-z_]/.test(c) && !/[A-Za-z0-9_]/.test(text[i - 1] ?? ' ')) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 64))![0];
      const upper = word.toUpperCase();
      if (BLOCK_OPEN.has(upper) && !isTransactionBegin(text, i + word.length)) {
        blockDepth++;
        openAt(upper);
      } else if (upper === 'END' && blockDepth > 0) {
        const after = /^\s+([A-Za-z_]+)/.exec(text.slice(i + 3, i + 40));
        if (!after || !END_SUFFIX_IGNORED.has(after[1]!.toUpperCase())) {
          blockDepth--;
          opened.pop();
        }
      }
      push(word);
      i += word.length;
      continue;
    } else if (c === ';' && parenDepth === 0 && blockDepth === 0) {
      flush();
      i++;
      continue;
    }
    push(c);
    i++;
  }
  if (parenDepth > 0 || blockDepth > 0) {
    const o = opened[opened.length - 1];
    throw new SchemaDirError(`${fileLabel}:${o?.line ?? line}: "${o?.what ?? '?'}" is never closed before the end of the file`);
  }
  flush();
  return out;
}

/** `BEGIN;` / `BEGIN TRANSACTION` / `BEGIN WORK` start a transaction, not a block. */
function isTransactionBegin(text: string, after: number): boolean {
  return /^\s*(;|TRANSACTION\b|WORK\b|IMMEDIATE\b|EXCLUSIVE\b|DEFERRED\b)/i.test(text.slice(after, after + 20));
}

/**
 * The statement kinds update-schema accepts: Temporal's five (CREATE, ALTER, INSERT, DROP, DO),
 * plus UPDATE and DELETE for data migrations. Case-sensitive as in the Go tool.
 */
export const UPDATE_STATEMENT_PREFIXES = ['CREATE', 'ALTER', 'INSERT', 'DROP', 'DO', 'UPDATE', 'DELETE'] as const;

export function disallowedPrefix(sql: string): string | undefined {
  const first = /^\S+/.exec(sql)?.[0] ?? '';
  return UPDATE_STATEMENT_PREFIXES.some((p) => first === p) ? undefined : first;
}
