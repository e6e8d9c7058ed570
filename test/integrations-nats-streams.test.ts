import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type NatsConnection, connect } from 'nats';
import { ensureStream, loadStreamConfig } from '../integrations/nats/create-stream.ts';
import { addObservationSubject, subjectCovers } from '../integrations/tapio/observations-subject.ts';
import { type PrivateNats, startPrivateNats } from './support/private-nats.ts';
import { sampleRequestEvent } from './support/sample-request-event.ts';

describe('integrations - JetStream streams on a real nats-server', () => {
  let nats: PrivateNats;
  let nc: NatsConnection;
  before(async () => {
    nats = await startPrivateNats();
    nc = await connect({ servers: nats.url });
  });
  after(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it('stream.json creates the RAUTA stream with its limits, idempotently', async () => {
    const config = loadStreamConfig();
    assert.deepEqual(config.subjects, ['rauta.>']);
    const jsm = await nc.jetstreamManager();
    const created = await ensureStream(jsm, config);
    assert.equal(created.config.name, 'RAUTA');
    assert.equal(created.config.max_age, 86_400_000_000_000);
    assert.equal(created.config.max_bytes, 1024 ** 3);
    assert.equal(created.config.max_msg_size, 1024 ** 2);
    assert.equal(created.config.discard, 'old');
    assert.equal(created.config.storage, 'file');
    const again = await ensureStream(jsm, config);
    assert.equal(again.config.name, 'RAUTA', 'running it twice updates instead of failing');
  });

  it('captures rauta.requests and rauta.backends as RAUTA core-publishes them, and nothing else', async () => {
    const jsm = await nc.jetstreamManager();
    const before = (await jsm.streams.info('RAUTA')).state.messages;
    const event = sampleRequestEvent();
    nc.publish('rauta.requests', JSON.stringify(event));
    nc.publish('rauta.backends', JSON.stringify({ ...sampleRequestEvent(), type: 'backend.health' }));
    nc.publish('observations.rauta', JSON.stringify(event));
    nc.publish('other.requests', 'x');
    await nc.flush();
    const deadline = Date.now() + 5000;
    let state = (await jsm.streams.info('RAUTA')).state;
    while (state.messages < before + 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      state = (await jsm.streams.info('RAUTA')).state;
    }
    assert.equal(state.messages, before + 2);
    const first = await jsm.streams.getMessage('RAUTA', { last_by_subj: 'rauta.requests' });
    assert.equal(first.json<{ id: string }>().id, event.id);
    const backends = await jsm.streams.getMessage('RAUTA', { last_by_subj: 'rauta.backends' });
    assert.equal(backends.subject, 'rauta.backends');
  });

  it('TAPIO: the mirror subject is added to the OBSERVATIONS stream and captured there', async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'OBSERVATIONS', subjects: ['observations.kernel', 'observations.k8s'] });
    const updated = await addObservationSubject(jsm);
    assert.deepEqual(updated.config.subjects, ['observations.kernel', 'observations.k8s', 'observations.rauta']);
    const unchanged = await addObservationSubject(jsm);
    assert.deepEqual(unchanged.config.subjects, updated.config.subjects, 'idempotent');
    const event = sampleRequestEvent();
    const ack = await (nc.jetstream()).publish('observations.rauta', JSON.stringify(event));
    assert.equal(ack.stream, 'OBSERVATIONS');
    const stored = await jsm.streams.getMessage('OBSERVATIONS', { last_by_subj: 'observations.rauta' });
    assert.equal(stored.json<{ id: string }>().id, event.id);
  });

  it('TAPIO: a stream already capturing observations.> is left alone (NATS refuses overlapping subjects)', async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'OBS_WIDE', subjects: ['observations2.>'] });
    const info = await addObservationSubject(jsm, 'OBS_WIDE', 'observations2.rauta');
    assert.deepEqual(info.config.subjects, ['observations2.>']);
    assert.ok(subjectCovers('observations.*', 'observations.rauta'));
    assert.ok(!subjectCovers('observations.*', 'observations.rauta.x'));
    assert.ok(!subjectCovers('observations.>', 'observations'));
    assert.ok(!subjectCovers('rauta.requests', 'rauta.backends'));
  });
});
