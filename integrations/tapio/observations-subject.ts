#!/usr/bin/env node
import { type JetStreamManager, type StreamInfo, connect } from 'nats';

/**
 * Makes TAPIO's JetStream stream (`OBSERVATIONS`, subjects `observations.<source>`) capture RAUTA's
 * mirror subject. Idempotent: nothing changes when a subject of the stream already covers it (for
 * example `observations.>`); NATS refuses overlapping subjects in one stream.
 *
 *   NATS_URL=nats://127.0.0.1:4222 npm run example:tapio-subject
 */
export async function addObservationSubject(jsm: JetStreamManager, stream = 'OBSERVATIONS', subject = 'observations.rauta'): Promise<StreamInfo> {
  const info = await jsm.streams.info(stream);
  const subjects = info.config.subjects ?? [];
  if (subjects.some((s) => subjectCovers(s, subject))) return info;
  return jsm.streams.update(stream, { ...info.config, subjects: [...subjects, subject] });
}

/** NATS subject matching: `*` is one token, `>` the rest (one token or more). */
export function subjectCovers(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

if (import.meta.main) {
  const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', token: process.env.NATS_TOKEN });
  const subject = process.env.RAUTA_NATS_MIRROR_SUBJECT ?? 'observations.rauta';
  const info = await addObservationSubject(await nc.jetstreamManager(), process.env.TAPIO_STREAM ?? 'OBSERVATIONS', subject);
  process.stdout.write(`stream ${info.config.name} subjects: ${info.config.subjects.join(', ')}\n`);
  await nc.close();
}
