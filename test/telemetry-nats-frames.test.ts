import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type NatsConnection, connect } from 'nats';
import { pino } from 'pino';
import { NatsPublisher, PubFrames } from '../src/telemetry/sinks/nats.ts';
import { NatsServer } from './support/nats-server.ts';

describe('telemetry - NATS PUB frames', () => {
  it('writes PUB lines with the UTF-8 byte count, payloads and CRLFs back to back', () => {
    const f = new PubFrames();
    assert.equal(f.add('rauta.requests', '{"a":1}', 1 << 20), true);
    // 5 characters, 10 bytes: the byte count has a digit more than the length (the payload moves).
    assert.equal(f.add('m', 'ééééé', 1 << 20), true);
    // 9 characters, 11 bytes.
    assert.equal(f.add('x.y', 'abcdefgh€', 1 << 20), true);
    // A subject is any non-blank text: its PUB line is UTF-8 too.
    assert.equal(f.add('ereignisse.größe', '{}', 1 << 20), true);
    assert.equal(f.count, 4);
    const expected = Buffer.concat([
      Buffer.from('PUB rauta.requests 7\r\n{"a":1}\r\n'),
      Buffer.from('PUB m 10\r\n'), Buffer.from('ééééé'), Buffer.from('\r\n'),
      Buffer.from('PUB x.y 11\r\n'), Buffer.from('abcdefgh€'), Buffer.from('\r\n'),
      Buffer.from('PUB ereignisse.größe 2\r\n{}\r\n'),
    ]);
    assert.deepEqual(f.take(), expected);
    assert.equal(f.count, 0);
    assert.equal(f.take().length, 0);
  });

  it('refuses a payload above the server maximum and keeps what was written', () => {
    const f = new PubFrames();
    assert.equal(f.add('s', 'ok', 8), true);
    assert.equal(f.add('s', '123456789', 8), false);
    assert.equal(f.count, 1);
    assert.deepEqual(f.take(), Buffer.from('PUB s 2\r\nok\r\n'));
  });

  it('grows past its initial buffer without losing frames', () => {
    const f = new PubFrames();
    const big = 'x'.repeat(50_000);
    for (let i = 0; i < 4; i++) assert.equal(f.add('s', `${i}${big}`, 1 << 20), true);
    const out = f.take().toString('latin1');
    const frame = (i: number) => `PUB s 50001\r\n${i}${big}\r\n`;
    assert.equal(out, frame(0) + frame(1) + frame(2) + frame(3));
  });
});

describe('telemetry - NATS publisher: frames through a real server', () => {
  let nats: NatsServer;
  let sub: NatsConnection;
  let pub: NatsPublisher;
  let published = 0;
  let dropped = 0;

  before(async () => {
    nats = await NatsServer.start();
    sub = await connect({ servers: nats.url });
    pub = new NatsPublisher({
      url: nats.url, credsFile: undefined, token: undefined, bufferSize: 100,
      counters: { published: (n = 1) => { published += n; }, dropped: (n = 1) => { dropped += n; } },
      onConnectedChange: () => {}, logger: pino({ level: 'silent' }),
    });
    pub.start();
    const deadline = Date.now() + 10_000;
    while (!pub.isConnected) {
      if (Date.now() > deadline) throw new Error('publisher did not connect');
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  after(async () => {
    await pub.close();
    await sub.close();
    await nats.kill();
  });

  it('delivers every message of a turn intact and in order, on each subject, and counts them', async () => {
    // Else every message took the plain `publish` fallback and this test would not cover the frames.
    assert.notEqual((pub as unknown as { raw?: unknown }).raw, undefined, 'nats.js offers its raw write');
    const got: { subject: string; text: string }[] = [];
    const decoder = new TextDecoder();
    sub.subscribe('frames.>', { callback: (err, msg) => { if (!err) got.push({ subject: msg.subject, text: decoder.decode(msg.data) }); } });
    await sub.flush();
    const sent: { subject: string; text: string }[] = [];
    for (let i = 0; i < 300; i++) {
      // ASCII, multi-byte (the byte count's digits differ from the length's at 9 → 10), and a large one.
      const text = i % 3 === 0 ? `{"i":${i}}` : i % 3 === 1 ? `{"ua":"ü€${'é'.repeat(i % 10)}"}` : `{"p":"${'/x'.repeat(5000)}","i":${i}}`;
      const subject = i % 2 === 0 ? 'frames.a' : 'frames.bé';
      pub.publishText(subject, text);
      sent.push({ subject, text });
    }
    const deadline = Date.now() + 10_000;
    while (got.length < sent.length) {
      if (Date.now() > deadline) throw new Error(`received ${got.length} of ${sent.length}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(got, sent);
    assert.equal(published, 300);
    assert.equal(dropped, 0);
  });
});
