// Hand-checked encodings (worked out from the Kafka protocol guide), so the round-trip tests are
// anchored to the real wire format and not only to the codecs' agreement with themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writer } from '../../../src/protocol/writer.js';
import { Reader } from '../../../src/protocol/reader.js';
import {
  decodeFetchResponsePartitionData,
  encodeAddPartitionsToTxnResponse,
  encodeApiVersionsRequest,
  encodeFetchResponsePartitionData,
  encodeMetadataRequest,
  encodeRequestHeader,
} from '../../../src/protocol/generated/index.js';
import { EncodeError } from '../../../src/protocol/codec-errors.js';

function bytesOf(fn: (w: Writer) => void): string {
  const w = new Writer();
  fn(w);
  return w.toBuffer().toString('hex');
}

test('ApiVersionsRequest v3 uses compact strings and an empty tagged section', () => {
  const hex = bytesOf((w) => encodeApiVersionsRequest(w, 3, { clientSoftwareName: 'kcat', clientSoftwareVersion: '1.7' }));
  assert.equal(hex, '056b63617404312e3700');
});

test('request header v2 keeps a classic nullable client id, then tagged fields', () => {
  const hex = bytesOf((w) => encodeRequestHeader(w, 2, { requestApiKey: 18, requestApiVersion: 3, correlationId: 7, clientId: 'ab' }));
  assert.equal(hex, '001200030000000700026162' + '00');
  const nullId = bytesOf((w) => encodeRequestHeader(w, 1, { requestApiKey: 3, requestApiVersion: 1, correlationId: 1, clientId: null }));
  assert.equal(nullId, '000300010000000' + '1ffff');
});

test('MetadataRequest v1 sends a null topic list as -1, v0 cannot', () => {
  assert.equal(bytesOf((w) => encodeMetadataRequest(w, 1, { topics: null })), 'ffffffff');
  assert.throws(() => bytesOf((w) => encodeMetadataRequest(w, 0, { topics: null })), EncodeError);
});

test('FetchResponse v12 writes CurrentLeader as tag 1 only when it is not the default', () => {
  const base = { partitionIndex: 0, errorCode: 0, highWatermark: 5n, records: null };
  const plain = bytesOf((w) => encodeFetchResponsePartitionData(w, 12, base));
  // index, error, hwm, lso -1, log start -1, aborted txns (compact, empty: 01), preferred replica -1, records null (00), no tags (00)
  assert.equal(plain, '00000000' + '0000' + '0000000000000005' + 'ffffffffffffffff' + 'ffffffffffffffff' + '01' + 'ffffffff' + '00' + '00');
  const tagged = bytesOf((w) => encodeFetchResponsePartitionData(w, 12, { ...base, currentLeader: { leaderId: 1, leaderEpoch: 5 } }));
  assert.equal(tagged.slice(0, plain.length - 2), plain.slice(0, -2));
  // one tagged field: tag 1, size 9 (two int32 and an empty tagged section), value
  assert.equal(tagged.slice(plain.length - 2), '01' + '01' + '09' + '00000001' + '00000005' + '00');
  const decoded = decodeFetchResponsePartitionData(new Reader(Buffer.from(tagged, 'hex')), 12);
  assert.deepEqual(decoded.currentLeader, { leaderId: 1, leaderEpoch: 5 });
});

test('AddPartitionsToTxnResponse: partition results are classic before v3, even though v4+ reaches them first', () => {
  const results = [{ name: 'a', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: 0 }, { partitionIndex: 1, partitionErrorCode: 48 }] }];
  // throttle, [topics]: name, [partition, error] — no tagged-field bytes anywhere.
  assert.equal(bytesOf((w) => encodeAddPartitionsToTxnResponse(w, 1, { throttleTimeMs: 0, resultsByTopicV3AndBelow: results })), '00000000' + '00000001' + '000161' + '00000002' + '000000000000' + '000000010030');
  // v3 is flexible: compact lengths and a tagged section closing every struct.
  assert.equal(bytesOf((w) => encodeAddPartitionsToTxnResponse(w, 3, { throttleTimeMs: 0, resultsByTopicV3AndBelow: results })), '00000000' + '02' + '0261' + '03' + '00000000000000' + '00000001003000' + '00' + '00');
});
