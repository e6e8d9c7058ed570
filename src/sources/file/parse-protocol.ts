import type { ObjectSet } from '../object-set.ts';

/** Messages between the file source and its parse worker. */
export interface ParseRequest {
  readonly id: number;
  readonly files: readonly { readonly name: string; readonly text: string }[];
}

export type ParseReply =
  | { readonly id: number; readonly ok: true; readonly objects: ObjectSet; readonly parsed: number; readonly reused: number }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code: string | undefined };
