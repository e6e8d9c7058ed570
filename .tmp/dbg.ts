import { createServer } from 'node:net';
import { pino } from '/work/wt/newcomer/node_modules/pino/pino.js';
import { loadConfig } from '/work/wt/newcomer/src/config/load.ts';
import { startRauta } from '/work/wt/newcomer/src/main.ts';
const s = createServer(); await new Promise<void>((r) => s.listen(18998, '127.0.0.1', r));
const { config } = loadConfig(['--config', '/work/wt/newcomer/examples/quickstart.yaml', '--admin-port', '18998', '--admin-bind-address', '127.0.0.1', '--http-port', '0', '--https-port', '0'], {});

setTimeout(() => { console.log('still pending after 5s'); process.exit(3); }, 5000);
try { await startRauta(config, pino({ level: 'silent' })); } catch (e) { console.log('rejected:', (e as Error).message); process.exit(0); }
