// Wyoming framing: header line, data block, payload; in any pieces; bounded; malformed input fails for good.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeEvent, EventParser, FramingError, type WyomingEvent } from '../../gateway/wyoming/framing.js';

const audio: WyomingEvent = { type: 'audio-chunk', data: { rate: 24000, width: 2, channels: 1, timestamp: 0 }, payload: Buffer.from([1, 2, 3, 4, 5, 6]) };
const text: WyomingEvent = { type: 'synthesize', data: { text: 'Grüße, 世界 — "quoted"\nnew line', voice: { name: 'af_heart' } } };
const bare: WyomingEvent = { type: 'describe', data: {} };

describe('wyoming framing', () => {
  it('encodes a header line, then data JSON, then the payload', () => {
    const b = encodeEvent(audio);
    const nl = b.indexOf(0x0a);
    const header = JSON.parse(b.subarray(0, nl).toString());
    const data = Buffer.from(JSON.stringify(audio.data));
    assert.equal(header.type, 'audio-chunk');
    assert.equal(header.data_length, data.length);
    assert.equal(header.payload_length, 6);
    assert.equal(typeof header.version, 'string');
    assert.deepEqual(b.subarray(nl + 1, nl + 1 + data.length), data);
    assert.deepEqual(b.subarray(nl + 1 + data.length), audio.payload);
    // No data, no payload: the header alone.
    const d = encodeEvent(bare);
    assert.equal(d.indexOf(0x0a), d.length - 1);
    assert.equal(JSON.parse(d.toString()).data_length, undefined);
  });

  it('round-trips events fed one byte at a time', () => {
    const all = Buffer.concat([encodeEvent(audio), encodeEvent(text), encodeEvent(bare)]);
    const p = new EventParser();
    const got: WyomingEvent[] = [];
    for (let i = 0; i < all.length; i++) got.push(...p.push(all.subarray(i, i + 1)));
    assert.equal(got.length, 3);
    assert.deepEqual(got[0], audio);
    assert.deepEqual(got[1], text);
    assert.deepEqual(got[2], bare);
    assert.equal(p.buffered, 0);
  });

  it('reads several events from one piece, and data in the header merged with the data block', () => {
    const header = Buffer.from(`${JSON.stringify({ type: 'synthesize', data: { text: 'old', keep: 1 }, data_length: 14 })}\n`);
    const data = Buffer.from('{"text":"new"}');
    const p = new EventParser();
    const got = p.push(Buffer.concat([header, data, encodeEvent(bare), Buffer.from('\n')]));
    assert.deepEqual(got, [{ type: 'synthesize', data: { text: 'new', keep: 1 } }, bare]);
  });

  it('waits for a split header, data and payload', () => {
    const b = encodeEvent(audio);
    const p = new EventParser();
    assert.deepEqual(p.push(b.subarray(0, 5)), []);
    assert.deepEqual(p.push(b.subarray(5, b.length - 3)), []);
    assert.deepEqual(p.push(b.subarray(b.length - 3)), [audio]);
  });

  it('refuses bad JSON, a missing type, bad lengths, and stays failed', () => {
    const bad = (s: string) => {
      const p = new EventParser();
      assert.throws(() => p.push(Buffer.from(s)), FramingError, s);
      assert.throws(() => p.push(encodeEvent(bare)), FramingError);
    };
    bad('{not json}\n');
    bad('[1,2]\n');
    bad('{"data":{}}\n');
    bad('{"type":"x","data_length":-1}\n');
    bad('{"type":"x","payload_length":1.5}\n');
    bad('{"type":"x","data":[1]}\n');
    bad('{"type":"x","data_length":3}\n[1]');
  });

  it('bounds the header, the data and the payload', () => {
    const p1 = new EventParser({ maxHeaderBytes: 100 });
    assert.deepEqual(p1.push(Buffer.from('{"type":"x"')), []);
    assert.throws(() => p1.push(Buffer.alloc(200, 0x20)), /header line longer/);
    const p2 = new EventParser({ maxDataBytes: 10 });
    assert.throws(() => p2.push(Buffer.from('{"type":"x","data_length":11}\n')), /data_length/);
    const p3 = new EventParser({ maxPayloadBytes: 10 });
    assert.throws(() => p3.push(Buffer.from('{"type":"x","payload_length":1000000}\n')), /payload_length/);
  });
});
