import type { WireObjectSet } from '../object-codec.ts';

/** Messages between the file source and its parse worker. */
export interface ParseRequest {
  readonly id: number;
  /** A file without `text` is read by the worker (the file source sends paths only). */
  readonly files: readonly { readonly name: string; readonly text?: string }[];
}

export type ParseReply =
  | { readonly id: number; readonly ok: true; readonly objects: WireObjectSet; readonly parsed: number; readonly reused: number }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code: string | undefined };
