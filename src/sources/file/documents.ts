import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';

/** One piece of a YAML stream that starts at a `---` line (or at the top of the file). */
export interface Chunk {
  readonly text: string;
  /** 1-based line of the chunk's first line in its file (for error messages). */
  readonly firstLine: number;
}

/** What a chunk held: its documents' values (null for an empty document), or its first YAML error. */
type ParsedChunk =
  | { readonly ok: true; readonly values: readonly unknown[] }
  | { readonly ok: false; readonly docOffset: number; readonly line: number | undefined; readonly col: number | undefined; readonly message: string };

/** A YAML error, positioned in its file. */
export interface DocumentError {
  /** Index of the failing document in its file. */
  readonly index: number;
  readonly line: number | undefined;
  readonly col: number | undefined;
  readonly message: string;
}

const DOCUMENT_START = /^---(?=[ \t\r\n]|$)/gm;
/** Directives (`%YAML`) and document-end markers (`...`) belong to neighbouring documents: such files are not split. */
const UNSPLITTABLE = /^(%|\.\.\.(?=[ \t\r\n]|$))/m;

/**
 * Splits a YAML stream before every `---` at the start of a line. YAML forbids a document marker at
 * the start of a line inside any scalar, so every piece parses to exactly the documents the whole
 * stream would have had there (anchors and aliases never span documents).
 */
export function splitDocuments(text: string): Chunk[] {
  if (UNSPLITTABLE.test(text)) return [{ text, firstLine: 1 }];
  const starts = [0];
  for (const m of text.matchAll(DOCUMENT_START)) if (m.index > 0) starts.push(m.index);
  const chunks: Chunk[] = [];
  let line = 1;
  for (let i = 0; i < starts.length; i++) {
    const piece = text.slice(starts[i], starts[i + 1] ?? text.length);
    chunks.push({ text: piece, firstLine: line });
    line += countLines(piece);
  }
  return chunks;
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

function parseChunk(text: string): ParsedChunk {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return { ok: true, values: [] }; // comments or whitespace only
  const values: unknown[] = [];
  for (const [i, doc] of docs.entries()) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      const pos = e.linePos?.[0];
      return { ok: false, docOffset: i, line: pos?.line, col: pos?.col, message: e.message.split('\n')[0] };
    }
    try {
      values.push(doc.toJS({ maxAliasCount: 100 }) ?? null);
    } catch (err) {
      // An unresolved alias or an alias bomb only shows up here, as a plain Error.
      return { ok: false, docOffset: i, line: undefined, col: undefined, message: (err as Error).message };
    }
  }
  return { ok: true, values };
}

/**
 * Parsed YAML documents by the hash of their text, so that a re-read parses only what changed: a
 * one-line edit in a file of 20,000 Ingresses costs one document, not the whole file. Entries live
 * for one generation: whatever the latest read did not contain is forgotten, so the cache never holds
 * more than one copy of the files.
 */
export class DocumentCache {
  private previous = new Map<string, ParsedChunk>();
  private current = new Map<string, ParsedChunk>();
  /** Documents chunks parsed and reused during the latest generation. */
  parsed = 0;
  reused = 0;

  /** Starts a read of the whole file set. */
  begin(): void {
    this.current = new Map();
    this.parsed = 0;
    this.reused = 0;
  }

  /** Ends it: chunks not seen since `begin` are forgotten. */
  commit(): void {
    this.previous = this.current;
  }

  /** Every document value of one file in order, or the file's first YAML error. */
  documents(text: string): { values: unknown[] } | { error: DocumentError } {
    const values: unknown[] = [];
    for (const chunk of splitDocuments(text)) {
      const key = createHash('sha256').update(chunk.text).digest('base64');
      let parsed = this.current.get(key) ?? this.previous.get(key);
      if (parsed === undefined) {
        parsed = parseChunk(chunk.text);
        this.parsed++;
      } else {
        this.reused++;
      }
      this.current.set(key, parsed);
      if (!parsed.ok) {
        return {
          error: {
            index: values.length + parsed.docOffset,
            line: parsed.line === undefined ? undefined : parsed.line + chunk.firstLine - 1,
            col: parsed.col,
            // The parser's own text says where too, relative to the piece: make it the file's line.
            message: parsed.message.replace(/at line (\d+), column (\d+)/, (_m, l: string, c: string) => `at line ${Number(l) + chunk.firstLine - 1}, column ${c}`),
          },
        };
      }
      for (const v of parsed.values) values.push(v);
    }
    return { values };
  }
}
