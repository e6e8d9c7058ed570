import type { ObjectSet, SourceProblem } from './object-set.ts';

/**
 * An object of a snapshot crossing to another thread: whole the first time (with the number it goes by
 * from then on), its number alone when the previous snapshot sent already carried it. The receiving
 * side keeps the objects it has, so unchanged objects stay the same objects there too (translation
 * tells what changed by identity) and a snapshot of 30,000 objects where one changed copies one.
 */
export type WireObject = number | { readonly id: number; readonly value: object };

/** An ObjectSet with every object list but `problems` as WireObjects. */
export type WireObjectSet = { readonly problems: readonly SourceProblem[] } & { readonly [K in Exclude<keyof ObjectSet, 'problems'>]?: readonly WireObject[] };

/** The sending side. `commit` once the receiver took the snapshot; `reset` when it was replaced. */
export class ObjectEncoder {
  private sent = new Map<object, number>();
  private staged: Map<object, number> | undefined;
  private nextId = 1;

  encode(objects: ObjectSet): WireObjectSet {
    const ids = new Map<object, number>();
    const wire: Record<string, unknown> = {};
    for (const [key, list] of Object.entries(objects) as [keyof ObjectSet, readonly object[] | undefined][]) {
      if (key === 'problems' || list === undefined) {
        wire[key] = list;
        continue;
      }
      wire[key] = list.map((o): WireObject => {
        // Twice in one snapshot (the same document twice): the first copy came earlier in it.
        const seen = ids.get(o);
        if (seen !== undefined) return seen;
        const known = this.sent.get(o);
        const id = known ?? this.nextId++;
        ids.set(o, id);
        return known !== undefined ? id : { id, value: o };
      });
    }
    this.staged = ids;
    return wire as WireObjectSet;
  }

  /** The receiver holds exactly the last encoded snapshot's objects from now on. */
  commit(): void {
    if (this.staged !== undefined) this.sent = this.staged;
    this.staged = undefined;
  }

  reset(): void {
    this.sent = new Map();
    this.staged = undefined;
  }
}

/** The receiving side: numbers become the objects kept from the previous snapshot. */
export class ObjectDecoder {
  private objects = new Map<number, object>();

  /** Undefined when the snapshot names a number it never carried (the sides lost step: start over). */
  decode(wire: WireObjectSet): ObjectSet | undefined {
    const previous = this.objects;
    const next = new Map<number, object>();
    const out: Record<string, unknown> = {};
    for (const [key, list] of Object.entries(wire) as [string, readonly WireObject[] | undefined][]) {
      if (key === 'problems' || list === undefined) {
        out[key] = list;
        continue;
      }
      const objects: object[] = [];
      for (const item of list) {
        const o = typeof item === 'number' ? (next.get(item) ?? previous.get(item)) : item.value;
        if (o === undefined) return undefined;
        next.set(typeof item === 'number' ? item : item.id, o);
        objects.push(o);
      }
      out[key] = objects;
    }
    this.objects = next;
    return Object.freeze(out as unknown as ObjectSet);
  }

  reset(): void {
    this.objects = new Map();
  }
}
