import type { Endpoint } from '../../routing/types.ts';

/** What a policy may key on. Built lazily: only hashing policies read it. */
export interface PickInput {
  readonly clientIp: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Health, readiness and "not tried yet" folded into one predicate; selection never knows why. */
export type Usable = (endpoint: Endpoint) => boolean;

/** One load-balancing policy over one immutable endpoint list (as Caddy's selection policies). */
export interface Selector {
  pick(input: PickInput, usable: Usable): Endpoint | undefined;
}
