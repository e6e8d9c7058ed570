import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { startEcho } from './echo-server.ts';

/**
 * `npm start`: two demo backends plus RAUTA in standalone mode on examples/demo.yaml.
 * RAUTA runs as its own process through the real CLI, exactly as a user would start it.
 */
const HELLO_PORT = 18081;
const ECHO_PORT = 18082;

async function main(): Promise<void> {
  const hello = createServer((req, res) => {
    const body = `Hello from RAUTA's demo backend "hello" (you asked for ${req.url})\n`;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve, reject) => {
    hello.once('error', reject);
    hello.listen(HELLO_PORT, '127.0.0.1', resolve);
  }).catch((err: Error) => fail(`cannot start the hello backend on 127.0.0.1:${HELLO_PORT}: ${err.message}`));
  const echo = await startEcho({ namespace: 'default', ingress: 'demo', service: 'echo', pod: 'echo-5f6c8-fghij' }, '127.0.0.1', ECHO_PORT)
    .catch((err: Error) => fail(`cannot start the echo backend on 127.0.0.1:${ECHO_PORT}: ${err.message}`));

  const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
  const manifest = fileURLToPath(new URL('../../examples/demo.yaml', import.meta.url));
  const env = { ...process.env, RAUTA_CONFIG: process.env.RAUTA_CONFIG ?? manifest };
  const rauta = spawn(process.execPath, [cli, ...process.argv.slice(2)], { env, stdio: 'inherit' });

  const http = process.env.RAUTA_HTTP_PORT ?? '8080';
  const admin = process.env.RAUTA_ADMIN_PORT ?? '9000';
  setTimeout(() => {
    process.stderr.write([
      '',
      'RAUTA demo is running. Try:',
      `  curl -H 'Host: demo.local' localhost:${http}/`,
      `  curl -H 'Host: demo.local' localhost:${http}/echo/anything`,
      `  curl -H 'Host: gateway.local' -H 'x-canary: yes' localhost:${http}/   # the HTTPRoute's canary rule`,
      `  curl localhost:${http}/nothing-here          # 404 from RAUTA itself`,
      `  curl localhost:${admin}/routes               # the route table`,
      `  open http://localhost:${admin}/              # the web UI`,
      `Edit ${manifest} and watch the routes change. Ctrl-C stops everything.`,
      '',
    ].join('\n'));
  }, 800).unref();

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    rauta.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  rauta.on('exit', (code) => {
    hello.closeAllConnections();
    hello.close();
    echo.close().catch(() => {});
    process.exit(code ?? 0);
  });
}

function fail(message: string): never {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(1);
}

main().catch((err: unknown) => fail(String((err as Error | undefined)?.message ?? err)));
