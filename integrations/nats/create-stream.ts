#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { type JetStreamManager, type StreamConfig, type StreamInfo, connect } from 'nats';

/**
 * Creates (or updates to match) the JetStream stream that keeps RAUTA's events: `stream.json` next to this
 * file, subjects `rauta.>`. RAUTA itself only does core publishes, so the stream is optional and costs
 * RAUTA nothing; with it, consumers can replay the last day of requests.
 *
 *   NATS_URL=nats://127.0.0.1:4222 npm run example:nats-stream
 */
export function loadStreamConfig(path: URL = new URL('./stream.json', import.meta.url)): StreamConfig {
  return JSON.parse(readFileSync(path, 'utf8')) as StreamConfig;
}

/** Idempotent: adds the stream, or updates it when it exists (limits changed in stream.json). */
export async function ensureStream(jsm: JetStreamManager, config: StreamConfig): Promise<StreamInfo> {
  const exists = await jsm.streams.info(config.name).then(() => true, (err: unknown) => {
    if ((err as { code?: string }).code === '404') return false;
    throw err;
  });
  return exists ? jsm.streams.update(config.name, config) : jsm.streams.add(config);
}

if (import.meta.main) {
  const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', token: process.env.NATS_TOKEN });
  const info = await ensureStream(await nc.jetstreamManager(), loadStreamConfig());
  process.stdout.write(`stream ${info.config.name}: subjects ${info.config.subjects.join(', ')}, ${info.state.messages} messages\n`);
  await nc.close();
}
