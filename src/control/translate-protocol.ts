import type { WireObjectSet } from '../sources/object-codec.ts';
import type { TranslateOptions } from '../translate/translate.ts';
import type { TableMessage, TablePart } from '../workers/protocol.ts';

/** The translation settings that cross to the thread (plain data; the memo lives there). */
export type ThreadTranslateOptions = Omit<TranslateOptions, 'memo' | 'now'>;

export interface TranslateRequest {
  readonly id: number;
  readonly objects: WireObjectSet;
}

export type TranslateReply =
  | { readonly id: number; readonly ok: true; readonly messages: readonly (TablePart | TableMessage)[]; readonly durationMs: number }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly lost?: boolean };
