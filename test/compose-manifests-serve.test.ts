import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { type EchoServer, startEcho } from '../src/demo/echo-server.ts';
import { get, getJson } from './support/client.ts';
import { type RunningRauta, startStandalone } from './support/harness.ts';

// The compose stack's manifests, served by a real RAUTA: the only change is where the two "pods" are
// (the compose addresses 172.28.0.x become loopback servers on ephemeral ports), so docs/deploy.md's
// `curl -H 'Host: demo.local' localhost:8080/` answers as promised.

interface Slice { kind: string; metadata: { name: string }; ports: { port: number }[]; endpoints: { addresses: string[] }[] }

describe('compose - the stack\'s manifests route demo.local as docs/deploy.md says', () => {
  let rauta: RunningRauta;
  let echo: EchoServer;
  const hello = createServer((_req, res) => res.end('Hello from the compose stack\'s hello backend\n'));
  before(async () => {
    await new Promise<void>((r) => hello.listen(0, '127.0.0.11', r));
    echo = await startEcho({ namespace: 'default', ingress: 'demo', service: 'echo', pod: 'echo-0' }, '127.0.0.12');
    const where: Record<string, { ip: string; port: number }> = {
      'hello-1': { ip: '127.0.0.11', port: (hello.address() as AddressInfo).port },
      'echo-1': { ip: '127.0.0.12', port: echo.port },
    };
    const docs = parseAllDocuments(readFileSync(new URL('../integrations/compose/manifests/demo.yaml', import.meta.url), 'utf8')).map((d) => d.toJS() as Slice);
    for (const d of docs.filter((x) => x.kind === 'EndpointSlice')) {
      const target = where[d.metadata.name];
      assert.ok(target, `a local stand-in for ${d.metadata.name}`);
      assert.match(d.endpoints[0].addresses[0], /^172\.28\.0\./);
      d.endpoints[0].addresses = [target.ip];
      d.ports[0].port = target.port;
    }
    rauta = await startStandalone(docs.map((d) => stringify(d)).join('---\n'));
  });
  after(async () => {
    await rauta?.stop();
    await echo?.close();
    hello.closeAllConnections();
    await new Promise((r) => hello.close(r));
  });

  it('/ goes to hello, /echo/x to echo, other hosts get 404', async () => {
    const root = await get(rauta.httpPort, '/', { host: 'demo.local' });
    assert.equal(root.status, 200);
    assert.match(root.body, /hello backend/);
    const e = await getJson<{ pod: string; path: string; headers: Record<string, string> }>(rauta.httpPort, '/echo/x', { host: 'demo.local' });
    assert.equal(e.status, 200);
    assert.deepEqual([e.json.pod, e.json.path, e.json.headers['x-forwarded-host']], ['echo-0', '/echo/x', 'demo.local']);
    assert.equal((await get(rauta.httpPort, '/', { host: 'other.local' })).status, 404);
  });
});
