import type { ObjectSet, SourceProblem } from '../object-set.ts';

/** Messages between the file source and its parse worker. */
export interface ParseRequest {
  readonly id: number;
  readonly files: readonly { readonly name: string; readonly text: string }[];
}

/**
 * An object of the snapshot: whole the first time the worker sends it (with the number it will use for
 * it from then on), or that number alone when the previous snapshot already carried it. Unchanged
 * documents keep their objects, so the file source hands translation the same objects as before.
 */
export type WireObject = number | { readonly id: number; readonly value: object };

/** An ObjectSet with every object list but `problems` as WireObjects. */
export type WireObjectSet = { readonly problems: readonly SourceProblem[] } & { readonly [K in Exclude<keyof ObjectSet, 'problems'>]?: readonly WireObject[] };

export type ParseReply =
  | { readonly id: number; readonly ok: true; readonly objects: WireObjectSet; readonly parsed: number; readonly reused: number }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code: string | undefined };
