// A certificate's subject in RFC 2253 form, as Kafka's default principal builder names SSL clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { makeTestCerts } from '../../helpers/test-certs.js';
import { subjectRfc2253 } from '../../../src/security/tls/x509-subject.js';

const certs = makeTestCerts();
test.after(() => certs.cleanup());

const subjectOf = (pem: string) => subjectRfc2253(new X509Certificate(pem).raw);
const opensslRfc2253 = (file: string) => execFileSync('openssl', ['x509', '-in', file, '-noout', '-subject', '-nameopt', 'RFC2253']).toString().replace(/^subject=/, '').trim();

test('the RDNs last-first, with the keywords Java uses', () => {
  assert.equal(subjectOf(certs.client.cert), 'CN=alice,OU=Eng,O=Acme,C=DE');
  assert.equal(subjectOf(certs.client.cert), opensslRfc2253(certs.client.certFile));
  assert.equal(subjectOf(certs.server.cert), 'CN=localhost');
});

test('special characters escaped, DC and UID by keyword', () => {
  const issued = certs.issue('odd', '/DC=com/DC=example/ST=Bavaria/L=Munich/O=Acme\\, Inc./OU=x;y/UID=u1/CN=Bob <bob>');
  assert.equal(subjectOf(issued.cert), 'CN=Bob \\<bob\\>,UID=u1,OU=x\\;y,O=Acme\\, Inc.,L=Munich,ST=Bavaria,DC=example,DC=com');
  assert.equal(subjectOf(issued.cert), opensslRfc2253(issued.certFile));
});

test('an attribute without a keyword is its OID with the DER value in hex (emailAddress, as Java prints it)', () => {
  const issued = certs.issue('mail', '/CN=carol/emailAddress=c@x.io');
  // IA5String (0x16), length 6, "c@x.io".
  assert.equal(subjectOf(issued.cert), `1.2.840.113549.1.9.1=#1606${Buffer.from('c@x.io').toString('hex')},CN=carol`);
});
