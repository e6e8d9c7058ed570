import type { Endpoint } from '../../src/routing/types.ts';

/** A ready endpoint as translation makes it (`ip:port` key, weight 1 unless given). */
export function endpoint(ip: string, port = 8080, extra: Partial<Endpoint> = {}): Endpoint {
  return { key: `${ip}:${port}`, ip, port, ready: true, serving: true, terminating: false, weight: 1, ...extra };
}

/** `n` distinct endpoints 10.x.y.z:8080. */
export function endpoints(n: number, port = 8080): Endpoint[] {
  return Array.from({ length: n }, (_, i) => endpoint(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port));
}
